import type { Command } from 'commander';
import { globalOptions } from '../../cli/context.js';

export function registerBurstStatus(burst: Command): void {
  burst
    .command('status')
    .description('instances with provider, GPU, price, age, state and spend; reconciles with the providers first')
    .option('--all', 'include terminated and failed instances', false)
    .action(async (opts: { all: boolean }, cmd: Command) => {
      const { runStatus } = await import('../../burst/cli/status.js');
      await runStatus(globalOptions(cmd), opts);
    });
}
