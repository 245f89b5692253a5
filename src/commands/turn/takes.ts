import { type GlobalOptions, withStore } from '../../cli/context.js';
import { printJson } from '../../cli/output.js';
import { UsageError } from '../../errors.js';
import { findStory } from '../../story/find.js';
import { listTakes, switchTake, type Take } from '../../story/steer.js';
import { terminalLine } from '../../util/terminal-text.js';
import type { TurnFlags } from './flags.js';

const takeJson = (t: Take) => ({ n: t.n, turnId: t.turn.id, depth: t.turn.depth, action: t.turn.action, continued: t.turn.continued, current: t.current, after: t.after, prose: t.turn.prose, createdAt: t.turn.createdAt });

/** `luna turn ID --takes [--at TURN]` lists the takes of a turn; `--take N [--at TURN]` switches to one. */
export async function run(ref: string, opts: TurnFlags, g: GlobalOptions): Promise<void> {
  await withStore(g, async (store) => {
    const story = await findStory(store, ref);
    if (opts.take !== undefined) {
      const n = Number(opts.take);
      if (!/^\d+$/.test(opts.take.trim()) || n < 1) throw new UsageError(`--take expects a take number (1, 2, …), found "${opts.take}"`, { hint: 'list them with --takes' });
      const { take, head } = await switchTake(store, story, opts.at, n);
      if (g.json) return printJson({ storyId: story.id, take: takeJson(take), headTurnId: head.id, depth: head.depth });
      process.stdout.write(`on take ${take.n} of turn ${take.turn.depth} (${take.turn.id}); story head is now turn ${head.depth} (${head.id})\n`);
      return;
    }
    const { of, takes } = await listTakes(store, story, opts.at);
    if (g.json) return printJson({ storyId: story.id, depth: of.depth, takes: takes.map(takeJson) });
    const out = [`turn ${of.depth}: ${takes.length} take${takes.length === 1 ? '' : 's'} (switch with: luna turn ${story.id.slice(0, 8)} --take N --at ${of.id.slice(0, 8)})`];
    for (const t of takes) {
      const action = t.turn.continued ? '(continued)' : `> ${t.turn.action}`;
      const after = t.after ? `, ${t.after} turn${t.after === 1 ? '' : 's'} after it` : '';
      out.push(`${t.current ? '*' : ' '} ${String(t.n).padStart(2)}. ${t.turn.id}${after}  ${terminalLine(action).slice(0, 50)}`);
      out.push(`      ${terminalLine(t.turn.prose.replace(/\s+/g, ' ')).slice(0, 90)}`);
    }
    process.stdout.write(`${out.join('\n')}\n`);
  });
}
