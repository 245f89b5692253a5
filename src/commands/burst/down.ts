import type { Command } from 'commander';
import { globalOptions } from '../../cli/context.js';

export function registerBurstDown(burst: Command): void {
  burst
    .command('down')
    .description('drain and terminate an instance, or all of them (plus orphans) with --all')
    .argument('[id]', 'instance id, name or provider id (see `luna burst status`)')
    .option('--all', 'every instance of this deployment, and LUNA-named orphans at the providers', false)
    .option('--no-drain', 'terminate at once instead of waiting for in-flight requests')
    .action(async (id: string | undefined, opts: { all: boolean; drain: boolean }, cmd: Command) => {
      const { runDown } = await import('../../burst/cli/down.js');
      await runDown(globalOptions(cmd), id, opts);
    });
}
