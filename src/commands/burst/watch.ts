import type { Command } from 'commander';
import { globalOptions } from '../../cli/context.js';
import { parsePositive } from './up.js';

export function registerBurstWatch(burst: Command): void {
  burst
    .command('watch')
    .description('run the autoscaler in the foreground: launch on sustained queue depth, retire idle instances')
    .option('--once', 'one reconcile + decide + act step, then exit', false)
    .option('--interval <ms>', 'time between steps (default: burst.intervalMs)', parsePositive)
    .action(async (opts: { once: boolean; interval?: number }, cmd: Command) => {
      const { runWatch } = await import('../../burst/cli/watch.js');
      await runWatch(globalOptions(cmd), opts);
    });
}
