import type { Command } from 'commander';
import { globalOptions } from '../../cli/context.js';
import { UsageError } from '../../errors.js';

export interface TopOptions {
  once: boolean;
  interval?: number;
  api: string[];
}

function parseInterval(v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || n < 200) throw new UsageError(`--interval: expected milliseconds ≥ 200, found "${v}"`, { hint: 'e.g. --interval 1000 (the default is top.intervalMs, 1000)' });
  return n;
}

export function registerTop(program: Command): void {
  program
    .command('top')
    .description('live operator console: service, shards, burst, Dreamer, money and alerts on one screen')
    .option('--once', 'print one snapshot and exit (for scripts and cron; --json for JSON)', false)
    .option('--interval <ms>', 'refresh interval in milliseconds (default top.intervalMs)', parseInterval)
    .option('--api <url>', 'a luna api base URL to watch (repeatable; replaces top.apis)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .action(async (opts: TopOptions, cmd: Command) => {
      const { runTop } = await import('./run.js');
      await runTop(globalOptions(cmd), opts);
    });
}
