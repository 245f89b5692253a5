import { type GlobalOptions, withStore } from '../../cli/context.js';
import { printJson } from '../../cli/output.js';
import { findStory } from '../../story/find.js';
import { switchHead, undo } from '../../story/ops.js';
import type { TurnFlags } from './flags.js';

/** `luna turn ID --undo` and `--to TURN`: moves the story head without playing. */
export async function run(ref: string, opts: TurnFlags, g: GlobalOptions): Promise<void> {
  await withStore(g, async (store) => {
    const story = await findStory(store, ref);
    const target = opts.undo ? ((await undo(store, story)).head?.id ?? null) : ((await switchHead(store, story, opts.to ?? 'root'))?.id ?? null);
    const turn = target ? await store.getTurn(target) : null;
    if (g.json) return printJson({ storyId: story.id, headTurnId: target, depth: turn?.depth ?? 0 });
    process.stdout.write(target ? `story head is now turn ${turn?.depth} (${target})\n` : 'story head is now the start (no turns on this branch)\n');
  });
}
