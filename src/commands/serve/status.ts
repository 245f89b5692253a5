import type { Command } from 'commander';
import { globalOptions } from '../../cli/context.js';

export function registerStatus(serve: Command): void {
  serve
    .command('status')
    .description('shards, state, uptime, restarts, queue, KV-cache, tokens/s and GPU use')
    .action(async (_opts: unknown, cmd: Command) => {
      const { runStatus } = await import('../../serve/cli.js');
      await runStatus(globalOptions(cmd));
    });
}
