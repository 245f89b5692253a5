import type { Command } from 'commander';
import { globalOptions } from '../../cli/context.js';

export function registerFact(program: Command): void {
  const fact = program.command('fact').description("a story's facts: set, remove, list with history (docs/memory.md)");
  fact
    .command('set <story> <entity> <key> <value>')
    .description('set ENTITY.KEY = VALUE from the current turn on (the old value is kept as history)')
    .option('--from <turn>', 'apply from this turn number of the current branch (0 = the whole story)')
    .action(async (story: string, entity: string, key: string, value: string, opts, cmd: Command) =>
      (await import('./set.js')).run(story, entity, key, value, opts, globalOptions(cmd)));
  fact
    .command('rm <story> <entity> <key>')
    .alias('remove')
    .description('remove ENTITY.KEY from the current turn on (kept as history)')
    .option('--from <turn>', 'remove from this turn number of the current branch on')
    .action(async (story: string, entity: string, key: string, opts, cmd: Command) => (await import('./rm.js')).run(story, entity, key, opts, globalOptions(cmd)));
  fact
    .command('list <story> [entity]')
    .alias('ls')
    .description('the facts as they stand at the head of the current branch')
    .option('--history', 'also show older values and removals')
    .action(async (story: string, entity: string | undefined, opts, cmd: Command) => (await import('./list.js')).run(story, entity, opts, globalOptions(cmd)));
}
