import type { Command } from 'commander';
import { globalOptions } from '../../cli/context.js';

export function registerPlay(program: Command): void {
  program
    .command('play [story]')
    .description('play interactively in a terminal UI (no story: pick one or start a new one)')
    .option('--new', 'start a new story (with --title and --premise)')
    .option('--title <title>', 'title of the new story')
    .option('--premise <text>', 'premise of the new story')
    .option('--no-images', 'never draw pictures in the terminal (/image shows their paths); as LUNA_INLINE_IMAGES=0')
    .option('--no-mouse', 'do not capture the mouse (keeps terminal text selection; PageUp/PageDown still scroll)')
    .action(async (story: string | undefined, opts, cmd: Command) => (await import('./run.js')).run(story, opts, globalOptions(cmd)));
}
