import type { Command } from 'commander';
import { globalOptions } from '../../cli/context.js';

export function registerStop(serve: Command): void {
  serve
    .command('stop')
    .description('stop one shard (it stays stopped), or the whole daemon with every shard')
    .argument('[shard]', 'shard name; omit to stop everything')
    .action(async (shard: string | undefined, _opts: unknown, cmd: Command) => {
      const { runStop } = await import('../../serve/cli.js');
      await runStop(globalOptions(cmd), shard);
    });
}
