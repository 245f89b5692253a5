import { type GlobalOptions, withStore } from '../../cli/context.js';
import { printJson } from '../../cli/output.js';
import { UsageError } from '../../errors.js';
import { findStory } from '../../story/find.js';
import { setAuthorNote } from '../../story/steer.js';
import { terminalText } from '../../util/terminal-text.js';

/** `luna story note ID ["text"] [--clear]`: sets, clears or (with neither) shows the Author's Note. */
export async function run(ref: string, text: string[], opts: { clear?: boolean }, g: GlobalOptions): Promise<void> {
  const given = text.length ? text.join(' ') : undefined;
  if (opts.clear && given !== undefined) throw new UsageError('give the note or --clear, not both', { hint: `luna story note ${ref} --clear` });
  await withStore(g, async (store) => {
    let story = await findStory(store, ref);
    if (opts.clear) story = await setAuthorNote(store, story, null);
    else if (given !== undefined) story = await setAuthorNote(store, story, given);
    if (g.json) return printJson({ storyId: story.id, authorNote: story.authorNote });
    if (opts.clear) return void process.stdout.write("author's note cleared\n");
    if (!story.authorNote) return void process.stdout.write(`no author's note (set one: luna story note ${story.id.slice(0, 8)} "…")\n`);
    process.stdout.write(`${given !== undefined ? "author's note set: " : "author's note: "}${terminalText(story.authorNote)}\n`);
  });
}
