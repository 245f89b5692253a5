import { type GlobalOptions, withStore } from '../../cli/context.js';
import { printJson, printTable } from '../../cli/output.js';
import { factLines, findEntity } from '../../memory/ops.js';
import { turnLabel } from '../../memory/render.js';
import { findStory } from '../../story/find.js';
import { terminalLine } from '../../util/terminal-text.js';

export async function run(storyRef: string, name: string | undefined, opts: { history?: boolean }, g: GlobalOptions): Promise<void> {
  await withStore(g, async (store) => {
    const story = await findStory(store, storyRef);
    const entity = name === undefined ? undefined : await findEntity(store, story, name);
    const lines = await factLines(store, story, { entity, history: Boolean(opts.history) });
    if (g.json) return printJson(lines);
    if (!lines.length) {
      process.stdout.write(`${entity ? terminalLine(entity.name) : `story ${story.id}`} has no facts at the head yet (add one: luna fact set ${story.id} NAME KEY VALUE)\n`);
      return;
    }
    const cut = (s: string, n: number) => terminalLine(s.length > n ? `${s.slice(0, n - 1)}…` : s);
    const rows: (string | number)[][] = [];
    for (const l of lines) {
      for (const [i, r] of [l, ...l.history].entries()) {
        rows.push([i === 0 ? cut(l.entity, 24) : '', i === 0 ? cut(r.key, 20) : '', r.removed ? '(removed)' : cut(r.value, 40), turnLabel(r.appliesFrom), r.origin,
          turnLabel(r.sourceTurn), i === 0 ? 'current' : 'history']);
      }
    }
    await printTable(['entity', 'key', 'value', 'from', 'origin', 'source', 'state'], rows);
  });
}
