import { type GlobalOptions, withStore } from '../../cli/context.js';
import { printJson } from '../../cli/output.js';
import { UsageError } from '../../errors.js';
import { findStory } from '../../story/find.js';
import { editConsequences, editProse } from '../../story/steer.js';
import type { TurnFlags } from './flags.js';

/** `luna turn ID --edit [TURN] --text "…"` (or the text on stdin): replaces a turn's prose. */
export async function run(ref: string, opts: TurnFlags, g: GlobalOptions): Promise<void> {
  const text = opts.text ?? (await readStdin());
  await withStore(g, async (store, loaded) => {
    const story = await findStory(store, ref);
    const at = typeof opts.edit === 'string' ? opts.edit : undefined;
    const outcome = await editProse(store, loaded.config, story, at, text);
    const { turn, previous } = outcome;
    if (g.json) {
      return printJson({ turn: { id: turn.id, storyId: turn.storyId, depth: turn.depth, action: turn.action, prose: turn.prose, editedAt: turn.editedAt },
        unchanged: outcome.unchanged, previousChars: previous.length, factsForgotten: outcome.forgotten, entitiesForgotten: outcome.entitiesForgotten, proposalsDropped: outcome.proposalsDropped,
        factsRereadQueued: outcome.rereading });
    }
    if (outcome.unchanged) return void process.stdout.write(`turn ${turn.depth} (${turn.id}) unchanged: the new prose is the same; nothing re-derived\n`);
    process.stdout.write(`turn ${turn.depth} (${turn.id}) edited: ${previous.length} → ${turn.prose.length} characters\n`);
    const after = editConsequences(outcome);
    if (after) process.stdout.write(`${after}${outcome.rereading ? ' (luna dream)' : ''}\n`);
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
