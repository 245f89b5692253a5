import type { Command } from 'commander';
import { globalOptions } from '../../cli/context.js';

export function registerPlan(serve: Command): void {
  serve
    .command('plan')
    .description('show where each shard would run (GPUs, memory, pinning) without starting anything')
    .action(async (_opts: unknown, cmd: Command) => {
      const { runPlan } = await import('../../serve/cli.js');
      await runPlan(globalOptions(cmd));
    });
}
