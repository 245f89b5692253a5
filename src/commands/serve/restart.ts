import type { Command } from 'commander';
import { globalOptions } from '../../cli/context.js';

export function registerRestart(serve: Command): void {
  serve
    .command('restart')
    .description('restart one shard (also revives a failed or stopped one) and wait until it is ready')
    .argument('<shard>', 'shard name')
    .action(async (shard: string, _opts: unknown, cmd: Command) => {
      const { runRestart } = await import('../../serve/cli.js');
      await runRestart(globalOptions(cmd), shard);
    });
}
