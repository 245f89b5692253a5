import type { Command } from 'commander';
import { globalOptions, loadCliConfig, type GlobalOptions } from '../../cli/context.js';
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
      await runLogs(globalOptions(cmd), shard, { follow: opts.follow, lines });
    });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runLogs(g: GlobalOptions, shard: string, opts: { follow: boolean; lines: number }): Promise<void> {
  const { home, config } = await loadCliConfig(g);
  const { shardLog } = await import('../../serve/daemon.js');
  const { readFrom, tailFile } = await import('../../serve/logs.js');
  const { servePaths } = await import('../../serve/state.js');
  const file = shardLog(servePaths(home), config.serve, shard);
  let { size } = tailFile(file, opts.lines);
  process.stdout.write(tailFile(file, opts.lines).text);
  if (!opts.follow) return;
  let stop = false;
  const onSig = () => { stop = true; };
  process.once('SIGINT', onSig);
  try {
    while (!stop) {
      await sleep(250);
      const next = readFrom(file, size);
      if (next.text) process.stdout.write(next.text);
      size = next.size;
    }
  } finally {
    process.off('SIGINT', onSig);
  }
}
