import type { Command } from 'commander';
import { globalOptions } from '../../cli/context.js';

export function registerEntity(program: Command): void {
  const entity = program.command('entity').description("what a story believes about its characters, places and things: list, show, add, edit, merge, rm (docs/memory.md)");
  entity
    .command('list <story>')
    .alias('ls')
    .description('list the entities of a story with their kind, aliases and number of facts')
    .action(async (story: string, _opts, cmd: Command) => (await import('./list.js')).run(story, globalOptions(cmd)));
  entity
    .command('show <story> <name>')
    .description('the sheet of one entity: summary, aliases, facts with their history and source turns')
    .action(async (story: string, name: string, _opts, cmd: Command) => (await import('./show.js')).run(story, name, globalOptions(cmd)));
  entity
    .command('add <story> <name>')
    .description('add an entity the story has missed, for the whole story (a name or alias it has already is refused)')
    .option('--kind <kind>', 'character | place | item | faction | other', 'other')
    .option('--summary <text>', 'the sheet text the models read')
    .option('--alias <alias...>', 'other names it goes by')
    .action(async (story: string, name: string, opts, cmd: Command) => (await import('./add.js')).run(story, name, opts, globalOptions(cmd)));
  entity
    .command('edit <story> <name>')
    .description('change an entity: only the flags given change (a new name keeps the old one as an alias)')
    .option('--name <name>', 'new name')
    .option('--kind <kind>', 'character | place | item | faction | other')
    .option('--summary <text>', 'the sheet text the models read')
    .option('--alias <alias...>', 'replace the aliases with these')
    .action(async (story: string, name: string, opts, cmd: Command) => (await import('./edit.js')).run(story, name, opts, globalOptions(cmd)));
  entity
    .command('merge <story> <from> <into>')
    .description('merge FROM into INTO: its name, aliases and facts move, FROM is removed (one transaction)')
    .action(async (story: string, from: string, into: string, _opts, cmd: Command) => (await import('./merge.js')).run(story, from, into, globalOptions(cmd)));
  entity
    .command('rm <story> <name>')
    .description('remove an entity and its facts, their history too (to keep its facts under another name, merge it)')
    .action(async (story: string, name: string, _opts, cmd: Command) => (await import('./rm.js')).run(story, name, globalOptions(cmd)));
}
