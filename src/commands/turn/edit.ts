import { type GlobalOptions, withStore } from '../../cli/context.js';
import { printJson } from '../../cli/output.js';
import { UsageError } from '../../errors.js';
import { findStory } from '../../story/find.js';
import { editProse } from '../../story/steer.js';
import type { TurnFlags } from './flags.js';

/** `luna turn ID --edit [TURN] --text "…"` (or the text on stdin): replaces a turn's prose. */
export async function run(ref: string, opts: TurnFlags, g: GlobalOptions): Promise<void> {
  const text = opts.text ?? (await readStdin());
  await withStore(g, async (store, loaded) => {
    const story = await findStory(store, ref);
    const at = typeof opts.edit === 'string' ? opts.edit : undefined;
    const { turn, previous, forgotten, rereading } = await editProse(store, loaded.config, story, at, text);
    if (g.json) {
      return printJson({ turn: { id: turn.id, storyId: turn.storyId, depth: turn.depth, action: turn.action, prose: turn.prose, editedAt: turn.editedAt },
        previousChars: previous.length, factsForgotten: forgotten, factsRereadQueued: rereading });
    }
    process.stdout.write(`turn ${turn.depth} (${turn.id}) edited: ${previous.length} → ${turn.prose.length} characters\n`);
    if (forgotten || rereading) {
      const what = forgotten ? `${forgotten} fact${forgotten === 1 ? '' : 's'} read from the old prose forgotten` : 'no facts had been read from the old prose';
      process.stdout.write(`${what}${rereading ? '; the Dreamer reads the new prose (luna dream)' : ''}\n`);
    }
  });
}

/** The new prose piped in; a terminal on stdin means the user forgot --text (waiting would look like a hang). */
async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) throw new UsageError('give the new prose with --text "…" or on stdin', { hint: 'luna turn ID --edit --text "new prose", or: luna turn ID --edit < prose.txt' });
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    size += (chunk as Buffer).length;
    if (size > 1_000_000) throw new UsageError('the prose on stdin is over 1 MB', { hint: 'an edit replaces one turn\'s prose; check what is piped in' });
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
