import { plural } from '../util/plural.js';
import { ensureDir } from '../util/ensure-dir.js';
import { writeUserFile } from '../util/safe-write.js';
import path from 'node:path';
import type { LunaConfig } from '../config/schema.js';
import { describeContextSize } from '../cli/context-size.js';
import { formatDuration, formatUsd } from '../cli/output.js';
import { currentFacts, latestOnBranch } from '../pipeline/memory.js';
import { curateContext } from '../pipeline/preprocessor.js';
import type { BranchInfo } from '../story/branches.js';
import type { Take } from '../story/steer.js';
import { bundleToMarkdown, exportBundleWithIds } from '../story/bundle.js';
import type { ImageBlobStore } from '../images/store.js';
import { markdownImages } from '../story/images.js';
import type { LedgerAggregateRow, Store, Story, Turn } from '../store/types.js';

/** Text for the TUI's panels (/context, /memory, /cost, /jobs, /branch) and /export. Reads the store; never renders. */

export interface PanelText {
  title: string;
  lines: string[];
}

export async function contextPanel(store: Store, story: Story, config: LunaConfig, action: string): Promise<PanelText> {
  const curated = await curateContext({ store, story, headId: story.headTurnId, action: action || 'continue', notes: { story: story.authorNote, turn: '' }, config: config.context });
  const c = curated.context;
  const lines = [
    `${'section'.padEnd(24)} ${'tokens'.padStart(7)} ${'items'.padStart(6)} ${'of'.padStart(5)}`,
    ...c.sections.map((s) => `${s.title.slice(0, 24).padEnd(24)} ${String(s.tokens).padStart(7)} ${String(s.items).padStart(6)} ${String(s.candidates).padStart(5)}`),
    `${'total'.padEnd(24)} ${String(c.totalTokens).padStart(7)}`,
    '',
    `budget ${c.budgetTokens} tokens (Strategist sees ${curated.strategistTokens}); ${describeContextSize(c.totalTokens, c.historyTokens)}`,
    `entities in play: ${c.entitiesInPlay.join(', ') || 'none'}`,
    `retrieval: ${c.retrieval.bm25Hits} BM25 hits (the viewer skips vectors); curated in ${formatDuration(c.ms)}`,
  ];
  if (c.authorNote) lines.push(`author's note: ${c.authorNote.placement} (context.authorNoteDepth ${c.authorNote.depth}), ${c.authorNote.tokens} tokens`);
  for (const s of c.sections) lines.push('', `── ${s.title} (${s.tokens} tokens)`, ...s.text.split('\n'));
  return { title: `context for the next turn${action ? `: "${action.slice(0, 40)}"` : ''}`, lines };
}

export async function memoryPanel(store: Store, story: Story): Promise<PanelText> {
  const [entities, facts, arcs, branchIds] = await Promise.all([store.listEntities(story.id), store.listFacts(story.id), store.listArcSummaries(story.id), store.getBranchIds(story.id, story.headTurnId)]);
  const onBranch = new Set(branchIds);
  const current = currentFacts(facts, (f) => f.turnId === null || onBranch.has(f.turnId));
  const visible = entities.filter((e) => e.firstTurnId === null || onBranch.has(e.firstTurnId));
  const lines: string[] = [];
  for (const e of visible) {
    lines.push(`${e.name} [${e.kind}]${e.aliases.length ? ` aka ${e.aliases.join(', ')}` : ''}${e.description ? ` — ${e.description}` : ''}`);
    for (const f of current.get(e.id) ?? []) lines.push(`  ${f.key}: ${f.value}${f.depth ? ` (turn ${f.depth})` : ''}${f.history[0] ? `, was ${f.history[0].value}` : ''}`);
  }
  if (!visible.length) lines.push('no entities yet on this branch');
  const onArcs = arcs.filter((a) => onBranch.has(a.toTurnId)).sort((a, b) => a.toDepth - b.toDepth);
  lines.push('', 'Arc summaries');
  if (!onArcs.length) lines.push('  none yet (the Dreamer writes one every few turns)');
  for (const a of onArcs) lines.push(`  turns ${a.fromDepth}–${a.toDepth} (${a.kind}): ${a.summary}`);
  return { title: `memory of "${story.title}"`, lines };
}

/** /takes: every take of a turn, the one the story is on starred. */
export function takesPanel(depth: number, takes: Take[]): PanelText {
  const lines = takes.map((t) => {
    const after = t.after ? ` (+${plural(t.after, 'turn')})` : '';
    const action = t.turn.continued ? '(continued)' : t.turn.action ? `> ${t.turn.action}` : '(the story opens)';
    return `${t.current ? '*' : ' '} ${String(t.n).padStart(2)}. ${action.slice(0, 40)}${after} — ${t.turn.prose.replace(/\s+/g, ' ').slice(0, 60)}`;
  });
  lines.push('', `/takes ${takes.length > 1 ? 'N' : '1'}${depth ? ` (or /takes at ${depth} N)` : ''} switches; /retry ${depth} makes another take`);
  return { title: `takes of turn ${depth}`, lines };
}

/** The newest arc summary on the current branch, for the side panel. */
export async function currentArc(store: Store, story: Story): Promise<string | null> {
  if (!story.headTurnId) return null;
  const [arcs, ids] = await Promise.all([store.listArcSummaries(story.id), store.getBranchIds(story.id, story.headTurnId)]);
  return latestOnBranch(arcs, 'arc', new Set(ids))?.summary ?? null;
}

function costRows(rows: LedgerAggregateRow[]): string[] {
  if (!rows.length) return ['  no calls'];
  const total = rows.reduce((a, r) => ({ calls: a.calls + r.calls, tokens: a.tokens + r.inputTokens + r.outputTokens, cost: a.cost + r.costUsd, unpriced: a.unpriced + r.unpricedCalls }), { calls: 0, tokens: 0, cost: 0, unpriced: 0 });
  const line = (name: string, calls: number, tokens: number, cost: number, unpriced: number) =>
    `  ${name.padEnd(12)} ${String(calls).padStart(6)} ${String(tokens).padStart(9)} ${formatUsd(cost).padStart(10)}${unpriced ? ` (+${unpriced} unpriced)` : ''}`;
  return [
    `  ${'agent'.padEnd(12)} ${'calls'.padStart(6)} ${'tokens'.padStart(9)} ${'cost'.padStart(10)}`,
    ...rows.map((r) => line(r.keys.agent ?? '?', r.calls, r.inputTokens + r.outputTokens, r.costUsd, r.unpricedCalls)),
    line('total', total.calls, total.tokens, total.cost, total.unpriced),
  ];
}

export async function costPanel(store: Store, story: Story, sessionStart: Date): Promise<PanelText> {
  const [session, all] = await Promise.all([
    store.aggregateCalls(['agent'], { storyId: story.id, since: sessionStart.toISOString() }),
    store.aggregateCalls(['agent'], { storyId: story.id }),
  ]);
  return { title: 'spend per agent', lines: ['This session', ...costRows(session), '', 'This story (all sessions)', ...costRows(all)] };
}

export async function jobsPanel(store: Store, story: Story): Promise<PanelText> {
  const [counts, jobs] = await Promise.all([store.jobCounts(story.id), store.listJobs({ storyId: story.id, limit: 30 })]);
  const lines = [`queued ${counts.queued}  running ${counts.running}  done ${counts.done}  failed ${counts.failed}`, ''];
  for (const j of jobs) lines.push(`  ${j.state.padEnd(8)} ${j.kind.padEnd(14)} attempts ${j.attempts}/${j.maxAttempts}${j.lastError ? `  ${j.lastError.slice(0, 60)}` : ''}`);
  if (!jobs.length) lines.push('  the queue is empty');
  return { title: "the Dreamer's queue", lines };
}

export function branchPanel(story: Story, branches: BranchInfo[], headDepth: number): PanelText {
  // Takes of one action (/retry) share it: the start of each tip's prose tells them apart.
  const oneLine = (t: string, n: number) => { const x = t.replace(/\s+/g, ' ').trim(); return x.length > n ? `${x.slice(0, n - 1)}…` : x; };
  const lines = branches.map((b, i) => `${b.leaf.id === story.headTurnId ? '*' : ' '} ${String(i + 1).padStart(2)}. ${plural(b.leaf.depth, 'turn')} — ${oneLine(b.leaf.action, 40)} → "${oneLine(b.leaf.prose, 36)}"`);
  if (!branches.length) lines.push('  no turns yet');
  if (story.headTurnId && !branches.some((b) => b.leaf.id === story.headTurnId)) lines.push(`* the head is at turn ${headDepth}, inside a branch (your next turn starts a new one)`);
  lines.push('', '/branch N switches to branch N; /branch from D continues from turn D of this branch (the rest stays as a branch)');
  return { title: 'branches', lines };
}

export async function exportStory(store: Store, story: Story, home: string, files: ImageBlobStore): Promise<{ json: string; md: string; turns: number }> {
  const { bundle, ids } = await exportBundleWithIds(store, story.id);
  const dir = path.join(home, 'exports');
  ensureDir(dir, { what: 'exports folder' });
  const slug = story.title.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 40) || 'story';
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const base = path.join(dir, `${slug}-${story.id.slice(0, 8)}-${stamp}`);
  // The same safe write as `story export -o`: whole or untouched, with the cause in words on a full disk.
  const write = (file: string, text: string) => writeUserFile(file, text, { what: 'export' });
  write(`${base}.json`, `${JSON.stringify(bundle, null, 2)}\n`);
  // Pictures are linked relative to the .md, as `luna story export -o` does.
  write(`${base}.md`, bundleToMarkdown(bundle, { images: await markdownImages(store, files, story.id, ids, { mode: 'link', outFile: `${base}.md` }) }));
  return { json: `${base}.json`, md: `${base}.md`, turns: bundle.turns.length };
}
