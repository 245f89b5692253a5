import { type GlobalOptions, withStore } from '../../cli/context.js';
import { formatDuration, printJson, printTable } from '../../cli/output.js';
import { curateContext } from '../../pipeline/preprocessor.js';
import { findStory } from '../../story/find.js';
import { describeContextSize } from '../../cli/context-size.js';
import { terminalLine, terminalText } from '../../util/terminal-text.js';

export async function run(ref: string, opts: { action: string; note?: string; full?: boolean }, g: GlobalOptions): Promise<void> {
  await withStore(g, async (store, loaded) => {
    const story = await findStory(store, ref);
    // Vectors need an embedding model call; the viewer stays LLM-free, so it shows the BM25 view.
    const curated = await curateContext({ store, story, headId: story.headTurnId, action: opts.action, notes: { story: story.authorNote, turn: opts.note ?? '' }, config: loaded.config.context });
    const c = curated.context;
    if (g.json) return printJson({ storyId: story.id, action: opts.action, ...c, strategistTokens: curated.strategistTokens, text: curated.text, strategistText: curated.strategistText });
    const named = c.retrieval.named ?? [];
    if (named.length) process.stdout.write(`named in the action: ${named.map((n) => `${terminalLine(n.name)} (as ${JSON.stringify(terminalLine(n.via))})`).join(', ')}\n`);
    const passages = c.retrieval.passages ?? [];
    if (passages.length) {
      // Why each earlier passage was chosen, best first: the question asked when a fact is missing from the context.
      const lines = passages.map((p) => `  ${(p.included ? 'in' : 'cut').padEnd(4)} turn ${String(p.turn).padEnd(6)} ${p.score.toFixed(1).padStart(5)}  ${terminalLine(p.why)}`);
      process.stdout.write(`passages (in = in the context; cut = over the budget):\n${lines.join('\n')}\n`);
    }
    await printTable(
      ['section', 'tokens', 'items', 'candidates'],
      [...c.sections.map((s) => [s.title, s.tokens, s.items, s.candidates]), ['total', c.totalTokens, '', '']],
      { align: ['left', 'right', 'right', 'right'] },
    );
    process.stdout.write(
      `budget ${c.budgetTokens} tokens (strategist ${curated.strategistTokens}); ${describeContextSize(c.totalTokens, c.historyTokens)}; ` +
        `entities in play: ${c.entitiesInPlay.join(', ') || 'none'}; ${formatDuration(c.ms)}\n`,
    );
    const lore = c.lore ?? [];
    if (lore.length) {
      // What triggered each entry: the question a lorebook author asks first ("why is this here / not here?").
      const mark = (l: (typeof lore)[number]) => (l.via === 'missed' ? 'missed' : l.included ? 'in' : 'cut');
      const lines = lore.map((l) => `  ${mark(l).padEnd(6)} ${terminalLine(l.title)} [${l.position}]: ${terminalLine(l.why)}`);
      process.stdout.write(`lore (in = in the context; cut = triggered but over the budget or context.maxLore):\n${lines.join('\n')}\n`);
    }
    if (c.authorNote) {
      const n = c.authorNote;
      process.stdout.write(`author's note (context.authorNoteDepth ${n.depth}): ${n.placement}, ${n.tokens} tokens${n.included ? '' : ', cut: over the budget'}\n${terminalText(n.text)}\n`);
    }
    if (opts.full) process.stdout.write(`\n${curated.text}\n`);
  });
}
