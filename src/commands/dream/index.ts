import type { Command } from 'commander';
import { globalOptions } from '../../cli/context.js';

export function registerDream(program: Command): void {
  program
    .command('dream')
    .description('run the Dreamer worker: arc summaries, entity sheets, embeddings, image prompts')
    .option('--once', 'drain the queue once and exit')
    .option('--poll <ms>', 'idle poll interval', '2000')
    .option('--worker <id>', 'worker id (default: host:pid)')
    .action(async (opts, cmd: Command) => (await import('./run.js')).run(opts, globalOptions(cmd)));
}
