import type { Command } from 'commander';
import { globalOptions } from '../../cli/context.js';

export function registerMemory(program: Command): void {
  const memory = program.command('memory').description('story memory: review the changes queued by review mode (agents.dreamer.review)');
  memory
    .command('review <story>')
    .description('list pending memory changes, or accept/reject them')
    .option('--accept <id...>', 'write these changes')
    .option('--reject <id...>', 'drop these changes')
    .option('--accept-all', 'write every pending change')
    .option('--reject-all', 'drop every pending change')
    .action(async (story: string, opts, cmd: Command) => (await import('./review.js')).run(story, opts, globalOptions(cmd)));
}
