import { type Command, Option } from 'commander';
import { globalOptions } from '../../cli/context.js';

export function registerUp(serve: Command): void {
  serve
    .command('up')
    .description('start every configured shard and supervise it (foreground, or --detach as a daemon)')
    .option('-d, --detach', 'run as a background daemon (state and logs under <home>/serve/)', false)
    .option('--no-wait', 'with --detach: return once the daemon is up, without waiting for shards to be ready')
    .addOption(new Option('--daemon-child', 'internal: this process is the detached daemon').hideHelp().default(false))
    .action(async (opts: { detach: boolean; wait: boolean; daemonChild: boolean }, cmd: Command) => {
      const { runUp } = await import('../../serve/up.js');
      await runUp(globalOptions(cmd), opts);
    });
}
