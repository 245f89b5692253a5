import type { Command } from 'commander';
import { globalOptions } from '../../cli/context.js';
import { UsageError } from '../../errors.js';

export function registerLogs(serve: Command): void {
  serve
    .command('logs')
    .description("print a shard's engine log")
    .argument('<shard>', 'shard name')
    .option('-f, --follow', 'keep printing new lines (Ctrl-C to stop)', false)
    .option('-n, --lines <n>', 'lines to show', '50')
    .action(async (shard: string, opts: { follow: boolean; lines: string }, cmd: Command) => {
      const lines = Number(opts.lines);
      if (!Number.isInteger(lines) || lines < 1) throw new UsageError(`--lines: expected a whole number ≥ 1, found "${opts.lines}"`);
      const { runLogs } = await import('../../serve/cli.js');
      await runLogs(globalOptions(cmd), shard, { follow: opts.follow, lines });
    });
}
