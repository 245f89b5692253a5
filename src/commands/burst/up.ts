import { type Command, InvalidArgumentError } from 'commander';
import { globalOptions } from '../../cli/context.js';

export function parsePositive(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number');
  return n;
}

export function registerBurstUp(burst: Command): void {
  burst
    .command('up')
    .description('rent the cheapest offer that fits, after showing the plan and its hourly cost')
    .option('--provider <name>', 'runpod, vast or lambda (default: burst.provider, else every provider with a key)')
    .option('--gpu <type>', 'GPU type, e.g. RTX_4090, a100, gpu_1x_a10 (default: burst.gpuType)')
    .option('--count <n>', 'instances to rent', (v) => Math.trunc(parsePositive(v)), 1)
    .option('--max-price <usd>', 'highest price per instance-hour, USD', parsePositive)
    .option('-y, --yes', 'do not ask for confirmation (required when not on a terminal)', false)
    .option('--no-wait', 'return once launched instead of waiting for /health')
    .action(async (opts: { provider?: string; gpu?: string; count: number; maxPrice?: number; yes: boolean; wait: boolean }, cmd: Command) => {
      const { runUp } = await import('../../burst/cli/up.js');
      await runUp(globalOptions(cmd), opts);
    });
}
