import { Option, type Command } from 'commander';
import { globalOptions } from '../../cli/context.js';

export function registerStory(program: Command): void {
  const story = program.command('story').description('create, list, show, export, import and delete stories');
  story
    .command('new')
    .description('start a new story')
    .requiredOption('-t, --title <title>', 'story title')
    .requiredOption('-p, --premise <text>', 'what the story is about')
    .option('-s, --style <text>', 'prose style, e.g. "noir, first person"', '')
    .option('--account <id>', 'owning account (must exist, except the built-in local one)', 'local')
    .option('--lorebook <file>', 'start with the lore of a lorebook (SillyTavern, NovelAI, AI Dungeon; see luna lore import)')
    .action(async (opts, cmd: Command) => (await import('./new.js')).run(opts, globalOptions(cmd)));
  story
    .command('list')
    .alias('ls')
    .description('list stories, most recently played first')
    .option('--account <id>', 'only this account')
    .action(async (opts, cmd: Command) => (await import('./list.js')).run(opts, globalOptions(cmd)));
  story
    .command('show <id>')
    .description('show a story: its current branch, branches and memory')
    .option('-n, --last <n>', 'turns to show', '10')
    .action(async (id: string, opts, cmd: Command) => (await import('./show.js')).run(id, opts, globalOptions(cmd)));
  story
    .command('note <id> [text...]')
    .description("set the story's Author's Note: standing instructions the Writer and Strategist get every turn (no text: show it)")
    .option('--clear', 'remove the note')
    .action(async (id: string, text: string[], opts, cmd: Command) => (await import('./note.js')).run(id, text, opts, globalOptions(cmd)));
  story
    .command('export <id>')
    .description('export a story (all branches) as JSON or Markdown, or as a Character Card V3 (-o NAME.png, .charx or .json)')
    .addOption(new Option('-f, --format <fmt>', 'output format').choices(['json', 'md', 'card']).default('json'))
    .option('-o, --output <file>', 'write to a file instead of stdout')
    .addOption(new Option('--images <mode>', 'Markdown: link each turn\'s images (relative to -o FILE), inline them as data: URIs, or leave them out').choices(['link', 'inline', 'none']).default('link'))
    .action(async (id: string, opts, cmd: Command) => (await import('./export.js')).run(id, opts, globalOptions(cmd)));
  story
    .command('images <id>')
    .description('list the images the Dreamer stored for a story (ComfyUI; see docs/images.md), by turn')
    .action(async (id: string, opts, cmd: Command) => (await import('./images.js')).run(id, opts, globalOptions(cmd)));
  story
    .command('import <file>')
    .description('import a story JSON file, or a character card (PNG, JSON or CHARX; V2/V3) as a new story (indexed for retrieval; no LLM calls)')
    .option('--account <id>', 'owning account (must exist, except the built-in local one)', 'local')
    .option('--max-mb <n>', 'refuse files larger than this many MiB (default 256, at most 512)')
    .action(async (file: string, opts, cmd: Command) => (await import('./import.js')).run(file, opts, globalOptions(cmd)));
  story
    .command('delete <id>')
    .alias('rm')
    .description('delete a story and everything in it (asks first)')
    .option('-y, --yes', 'do not ask')
    .action(async (id: string, opts, cmd: Command) => (await import('./delete.js')).run(id, opts, globalOptions(cmd)));
}
