import { type GlobalOptions, withStore } from '../../cli/context.js';
import { printJson } from '../../cli/output.js';
import { FORMAT_NAMES, parseLorebookText } from '../../lore/import.js';
import { requireAccount } from '../../story/find.js';
import { checkNewStory, createStory } from '../../story/ops.js';
import { plural } from '../../util/plural.js';
import { readInputFile } from '../../util/read-input.js';
import { LOREBOOK_MAX_BYTES, printNotes } from '../lore/import.js';

interface NewOpts {
  title: string;
  premise: string;
  style: string;
  account: string;
  lorebook?: string;
}

export async function run(opts: NewOpts, g: GlobalOptions): Promise<void> {
  // Checked before the store opens: a bad title fails fast and creates no database.
  const input = checkNewStory(opts, (name) => `--${name}`);
  // The lorebook is read and checked before anything is written: a bad one creates no story.
  const book = opts.lorebook ? parseLorebookText(readInputFile(opts.lorebook, LOREBOOK_MAX_BYTES, 'a lorebook').toString('utf8'), opts.lorebook) : null;
  await withStore(g, async (store) => {
    let story;
    if (book) {
      // Story and lore are one transaction (the import path): never a story without its lore.
      await requireAccount(store, opts.account);
      story = await store.importStory({ ...input, lore: book.entries, turns: [] }, opts.account);
    } else story = await createStory(store, opts.account, opts, (name) => `--${name}`);
    if (g.json) return printJson(book ? { ...story, lore: { format: book.format, imported: book.entries.length, notes: book.notes } } : story);
    process.stdout.write(`created story ${story.id}: ${story.title}\n`);
    if (book) {
      process.stdout.write(`imported ${plural(book.entries.length, 'lore entry', 'lore entries')} from ${FORMAT_NAMES[book.format]} ${opts.lorebook}\n`);
      printNotes(book);
    }
    process.stdout.write(`next: luna turn ${story.id} "your first action"   (or: luna play ${story.id})\n`);
  });
}
