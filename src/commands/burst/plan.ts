import type { Command } from 'commander';
import { globalOptions } from '../../cli/context.js';
import { parsePositive } from './up.js';

export function registerBurstPlan(burst: Command): void {
  burst
    .command('plan')
    .description('what `burst up` would rent now, and why (offers, budget, current load)')
    .option('--provider <name>', 'runpod, vast or lambda')
    .option('--gpu <type>', 'GPU type (default: burst.gpuType)')
    .option('--max-price <usd>', 'highest price per instance-hour, USD', parsePositive)
    .action(async (opts: { provider?: string; gpu?: string; maxPrice?: number }, cmd: Command) => {
      const { runPlan } = await import('../../burst/cli/plan.js');
      await runPlan(globalOptions(cmd), opts);
    });
}
