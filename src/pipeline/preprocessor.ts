import type { ContextConfig } from '../config/schema.js';
import type { Entity, Fact, PipelineStore, Story, Turn } from '../store/types.js';
import { estimateTokens, truncateToTokens } from '../util/tokens.js';
import type { ContextSection, CuratedContext } from './events.js';
import { branchIndex, branchSet, currentFacts, entitiesInPlay, latestOnBranch, renderEntitySheet } from './memory.js';
import { FACT_TURNS_READ, factTurnsOf, namedInAction, retrievePassages, searchPlan, searchQuery, type RetrieveInput, type SearchPlan } from './retrieval.js';
import { describeTrigger, matchLore, type LoreTrigger } from './lore-match.js';

/**
 * The Preprocessor: curates what the Strategist and Writer see, with no LLM on the critical path.
 * Candidates from every memory source get a priority; the highest are packed into the token budget,
 * then rendered in reading order. Chars-per-token for history sizing matches estimateTokens on prose.
 */

export interface CurateInput {
  store: PipelineStore;
  story: Story;
  headId: string | null;
  action: string;
  config: ContextConfig;
  /** The story's Author's Note and this turn's own note ('' for none), placed at config.authorNoteDepth. */
  notes?: { story: string; turn: string };
  /** Embeds the query for vector retrieval; absent when no embedding model is configured. */
  embed?: (text: string) => Promise<Float32Array | null>;
  now?: () => number;
}

export interface Curated {
  context: CuratedContext;
  /** The sections rendered as one prompt block (Writer). */
  text: string;
  /** The same memory packed into the Strategist's smaller budget. */
  strategistText: string;
  strategistTokens: number;
  /** The same candidates packed into another budget (estimate tokens): how a prompt is fitted to a small window. */
  pack(budgetTokens: number): string;
  /** What was read to build it, so the commit step resolves entities without reading it again. */
  memory: { entities: Entity[]; branchIds: string[] };
}

interface Candidate {
  section: SectionName;
  priority: number;
  text: string;
  /** Largest share of the budget one item may take before it is truncated. */
  cap: number;
  order: number;
  /** estimateTokens(text), counted once: the same candidates are packed for two budgets. */
  tokens: number;
  /** Lore entry id, so the viewer can tell which triggered entries fit. */
  loreId?: string;
  /** The Author's Note, so the viewer can tell whether it fit. */
  note?: boolean;
  /** p<rank> of a retrieved passage, for the same reason. */
  passageId?: string;
}

type SectionName = 'premise' | 'story-summary' | 'arc' | 'lore' | 'entities' | 'lore-after' | 'relevant' | 'lore-recent' | 'recent' | 'author-note';
const SECTION_TITLES: Record<SectionName, string> = {
  premise: 'Premise and style',
  'story-summary': 'Story so far',
  arc: 'Current arc',
  lore: 'World',
  entities: 'Characters, places and things',
  'lore-after': 'More about the world',
  'lore-recent': 'Keep in mind',
  relevant: 'Relevant earlier moments',
  recent: 'Most recent turns',
  'author-note': "Author's note",
};
// The last section sits right before the player action in both prompts (src/pipeline/prompts.ts).
const READING_ORDER: SectionName[] = ['premise', 'story-summary', 'arc', 'lore', 'entities', 'lore-after', 'relevant', 'lore-recent', 'recent', 'author-note'];
/** Above everything but the premise: the author asked for it on every turn. */
const NOTE_PRIORITY = 99;
const LORE_SECTION = { before: 'lore', after: 'lore-after', recent: 'lore-recent' } as const;
/** Packing priority by how an entry was triggered; an entry's own priority (-100…100) moves it up to 10 points. */
const LORE_BASE = { constant: 88, action: 79, context: 58, recursion: 52 } as const;
const CHARS_PER_TOKEN = 4.6;

export async function curateContext(input: CurateInput): Promise<Curated> {
  const now = input.now ?? (() => performance.now());
  const t0 = now();
  const { store, story, headId, config } = input;
  const recentLimit = Math.max(config.recentTurns, 1);
  const plan = searchPlan({ vectors: input.embed !== undefined, skipped: recentLimit });
  // The search goes out first: it is the slowest read, and on a loopback socket each send costs the sender
  // ~0.3 ms, so sending it third delayed it by two sends.
  const early = config.relevantTurns > 0 && input.action && headId !== null ? earlySearch(store, story.id, input.action, plan) : undefined;
  const memoryRead = store.storyMemory(story.id, headId);
  const recentRead = store.getBranch(story.id, headId, { limit: recentLimit });
  // Both are awaited below; a failure before then must not go unobserved.
  for (const p of [memoryRead, recentRead]) p.catch(() => undefined);
  const branchIds = await store.getBranchIds(story.id, headId);
  const onBranch = branchSet(branchIds);
  const visibleEntity = (e: Entity) => e.firstTurnId === null || onBranch.has(e.firstTurnId);
  const searching = config.relevantTurns > 0 && branchIds.length > Math.min(recentLimit, branchIds.length);
  const [recent, { entities, facts, lore, arcs, size }] = await Promise.all([recentRead, memoryRead]);
  const recentIds = new Set(recent.map((t) => t.id));
  const recentShown = config.recentTurns > 0 ? recent.slice(-config.recentTurns) : [];

  // Retrieval: passages from past turns on this branch, outside the recent window (BM25, vectors when configured).
  const keep = (id: string) => onBranch.has(id) && !recentIds.has(id);
  // A turn without an action (continue) searches with where the story stands: the end of the latest prose.
  const query = input.action || (recent.at(-1)?.prose.slice(-400) ?? '');
  let vectorHits: Awaited<ReturnType<PipelineStore['searchEmbeddings']>> = [];
  let usedVectors = false;
  if (input.embed && searching) {
    const v = await input.embed(query);
    if (v) {
      usedVectors = true;
      vectorHits = await store.searchEmbeddings(story.id, v, config.relevantTurns * 8);
    }
  }
  const retrieving = searching
    ? retrievePassages({ store, storyId: story.id, action: query, entities, facts, keep, visible: visibleEntity, maxPassages: config.relevantTurns * 3, vectorHits, early, search: plan,
      nextOnBranch: (id) => {
        const i = branchIndex(branchIds).get(id);
        return i === undefined ? undefined : branchIds[i + 1];
      } })
    : Promise.resolve({ passages: [], named: namedInAction(entities, visibleEntity, input.action), bm25Hits: 0, query });
  // What does not need the passages is worked out while the search may still be out.
  const recentText = recentShown.map((t) => `${t.action}\n${t.prose}`).join('\n');
  const seen = entitiesInPlay(entities, visibleEntity, { action: input.action, recent: recentText });
  const factViews = currentFacts(facts, (f: Fact) => f.turnId === null || onBranch.has(f.turnId));
  const retrieved = await retrieving;
  const relevantText = retrieved.passages.map((p) => p.text).join('\n');
  const inPlay = seen(relevantText).slice(0, config.maxEntities);
  const loreMatch = matchLore(lore, {
    action: input.action,
    context: `${recentText}\n${inPlay.map((s) => s.entity.name).join(' ')}`,
    seed: `${story.id}:${headId ?? 'root'}`,
    maxRecursion: config.loreRecursion,
  });
  const loreHits = loreMatch.triggered.slice(0, config.maxLore);
  const arc = latestOnBranch(arcs, 'arc', onBranch);
  const storySummary = latestOnBranch(arcs, 'story', onBranch);

  const budget = config.budgetTokens;
  const candidates: Candidate[] = [];
  let order = 0;
  const add = (section: SectionName, priority: number, text: string, capShare: number, loreId?: string, passageId?: string) => {
    if (text.trim()) candidates.push({ section, priority, text, cap: Math.max(40, Math.floor(budget * capShare)), order: order++, tokens: estimateTokens(text), loreId, passageId });
  };
  add('premise', 100, `${story.title}: ${story.premise}${story.style ? `\nStyle: ${story.style}` : ''}`, 0.12);
  if (storySummary) add('story-summary', 76, storySummary.summary, 0.12);
  if (arc && (!storySummary || arc.toDepth > storySummary.toDepth || arc.id !== storySummary.id)) add('arc', 86, `(turns ${arc.fromDepth}–${arc.toDepth}) ${arc.summary}`, 0.12);
  // Reading order inside a lore section follows each entry's insertion order.
  for (const { entry, via } of [...loreHits].sort((a, b) => a.entry.order - b.entry.order)) {
    const boost = Math.max(-10, Math.min(10, entry.priority / 10));
    add(LORE_SECTION[entry.position] ?? 'lore', LORE_BASE[via] + boost, `${entry.title}: ${entry.body}`, 0.1, entry.id);
  }
  for (const s of inPlay) {
    const sheet = renderEntitySheet(s.entity, factViews.get(s.entity.id) ?? []);
    add('entities', s.via === 'action' ? 91 : s.via === 'recent' ? 72 : 55, sheet, 0.1);
  }
  // Passages are shown in story order (order = depth), packed best first.
  const passageOrder = order;
  retrieved.passages.forEach((p, i) => {
    add('relevant', 70 - i, `[turn ${p.depth}] ${p.text}`, 0.1, undefined, `p${i}`);
    candidates.at(-1)!.order = passageOrder + p.depth / 1e7;
  });
  order = passageOrder + 1;
  const recentOrders: number[] = [];
  recentShown.forEach((t, i, arr) => {
    const fromEnd = arr.length - 1 - i;
    recentOrders.push(order);
    add('recent', fromEnd === 0 ? 95 : 82 - fromEnd * 4, turnText(t), fromEnd === 0 ? 0.25 : 0.15);
  });
  const note = placeNote(input.notes, config.authorNoteDepth, recentShown, recentOrders);
  if (note) candidates.push({ section: note.section, priority: NOTE_PRIORITY, text: note.text, cap: Math.max(40, Math.floor(budget * 0.15)), order: note.order, tokens: estimateTokens(note.text), note: true });

  const full = render(candidates, budget);
  const forStrategist = render(candidates, Math.min(budget, config.strategistBudgetTokens));
  const { sections, text, totalTokens } = full;
  const historyTokens = Math.round((size.chars + size.loreChars) / CHARS_PER_TOKEN);
  return {
    context: {
      sections,
      totalTokens,
      budgetTokens: budget,
      historyTokens,
      compression: historyTokens > 0 ? Math.max(0, 1 - totalTokens / historyTokens) : 0,
      entitiesInPlay: inPlay.map((s) => s.entity.name),
      retrieval: {
        bm25Hits: retrieved.bm25Hits, vectorHits: vectorHits.length, usedVectors,
        named: retrieved.named.map((n) => ({ name: n.entity.name, via: n.via })),
        passages: retrieved.passages.map((p, i) => ({ turn: p.depth, score: Math.round(p.score * 10) / 10, why: p.why.join('; '), included: full.passageIds.has(`p${i}`) })),
      },
      lore: loreViews(loreMatch.triggered, loreMatch.missed, full.loreIds),
      ...(note ? { authorNote: { depth: config.authorNoteDepth, placement: note.placement, text: note.text, tokens: estimateTokens(note.text), included: full.noteIncluded } } : {}),
      ms: now() - t0,
    },
    text,
    strategistText: forStrategist.text,
    strategistTokens: forStrategist.totalTokens,
    pack: (budgetTokens) => render(candidates, Math.max(0, budgetTokens)).text,
    memory: { entities, branchIds },
  };
}

/**
 * The text search, started before the story's memory is read: its query is built with the entities this process
 * last read for the story (store.memoryHint), all taken as visible (the branch is not known yet). Names rarely
 * change between turns, so the query is almost always the one the fresh memory gives; retrievePassages checks,
 * and searches again when not (a name from another branch, a new alias). The turns where the hinted facts of
 * the named entities were recorded are read with it; a fact turn the hint did not know is read after.
 */
function earlySearch(store: PipelineStore, storyId: string, action: string, plan: SearchPlan): RetrieveInput['early'] {
  const hint = store.memoryHint?.(storyId);
  if (!hint) return undefined;
  const { query, named } = searchQuery(hint.entities, () => true, action);
  const factIds = [...factTurnsOf(named, hint.facts, () => true).keys()].slice(-FACT_TURNS_READ);
  const result = store.searchPassages(storyId, query, plan.limit, plan.read, factIds);
  result.catch(() => undefined); // awaited only if used
  return { query, result };
}

/**
 * A turn as the models read it; a turn without an action says why instead of "> ": the story went on
 * (continue) or it opens (a card's greeting).
 */
function turnText(t: Turn): string {
  return `[turn ${t.depth}] ${t.action ? `> ${t.action}` : t.continued ? '(the story goes on)' : '(the story opens)'}\n${t.prose}`;
}

/** The note lines as every model reads them ('' when there is no note). */
export function noteText(notes: { story: string; turn: string } | undefined): string {
  const lines: string[] = [];
  if (notes?.story.trim()) lines.push(`[Author's note: ${notes.story.trim()}]`);
  if (notes?.turn.trim()) lines.push(`[Note for this turn: ${notes.turn.trim()}]`);
  return lines.join('\n');
}

/**
 * Where the note goes: depth 1 (or no recent turns to go between) is its own last section, right before the
 * player action; depth n > 1 goes inside the recent turns, before the (n-1)th latest (the oldest at most).
 */
function placeNote(notes: CurateInput['notes'], depth: number, recent: Turn[], orders: number[]): { section: SectionName; order: number; text: string; placement: string } | null {
  const text = noteText(notes);
  if (!text) return null;
  if (depth <= 1 || recent.length === 0) return { section: 'author-note', order: 0, text, placement: 'just before the player action' };
  const at = Math.max(0, recent.length - (depth - 1));
  const deeper = depth - 1 > recent.length;
  return { section: 'recent', order: orders[at]! - 0.5, text, placement: `before turn ${recent[at]!.depth}${deeper ? ' (the oldest recent turn shown)' : ''}` };
}

function loreViews(triggered: LoreTrigger[], missed: ReturnType<typeof matchLore>['missed'], included: Set<string>): CuratedContext['lore'] {
  return [
    ...triggered.map((t) => ({ id: t.entry.id, title: t.entry.title, via: t.via, why: describeTrigger(t), position: t.entry.position, included: included.has(t.entry.id) })),
    ...missed.map((m) => ({
      id: m.entry.id, title: m.entry.title, via: 'missed' as const, position: m.entry.position, included: false,
      why: `${m.key === undefined ? 'constant' : `key ${JSON.stringify(m.key)} matched`}, but rolled ${m.roll.toFixed(1)} ≥ ${m.entry.probability}%`,
    })),
  ];
}

function render(candidates: Candidate[], budget: number): { sections: ContextSection[]; text: string; totalTokens: number; loreIds: Set<string>; passageIds: Set<string>; noteIncluded: boolean } {
  const chosen = pack(candidates, budget);
  const sections: ContextSection[] = [];
  for (const name of READING_ORDER) {
    const items = chosen.filter((c) => c.section === name).sort((a, b) => a.order - b.order);
    const all = candidates.filter((c) => c.section === name).length;
    if (!items.length) {
      if (all) sections.push({ name, title: SECTION_TITLES[name], tokens: 0, items: 0, candidates: all, text: '' });
      continue;
    }
    const text = items.map((c) => c.text).join('\n\n');
    sections.push({ name, title: SECTION_TITLES[name], tokens: items.reduce((n, c) => n + c.tokens, 0), items: items.length, candidates: all, text });
  }
  const text = sections.filter((s) => s.text).map((s) => `## ${s.title}\n${s.text}`).join('\n\n');
  const loreIds = new Set(chosen.flatMap((c) => (c.loreId ? [c.loreId] : [])));
  const noteIncluded = chosen.some((c) => c.note);
  const passageIds = new Set(chosen.flatMap((c) => (c.passageId ? [c.passageId] : [])));
  return { sections, text, totalTokens: sections.reduce((n, s) => n + s.tokens, 0), loreIds, passageIds, noteIncluded };
}

/** Greedy by priority; an item over its cap or the remaining budget is truncated rather than dropped when enough room remains. */
function pack(candidates: Candidate[], budget: number): Candidate[] {
  const out: Candidate[] = [];
  let used = 0;
  for (const c of [...candidates].sort((a, b) => b.priority - a.priority || a.order - b.order)) {
    const room = budget - used;
    if (room < 20) break;
    let text = c.text;
    let tokens = c.tokens;
    const limit = Math.min(c.cap, room);
    if (tokens > limit) {
      if (limit < 30) continue;
      text = truncateToTokens(text, limit);
      tokens = estimateTokens(text);
    }
    out.push({ ...c, text, tokens });
    used += tokens;
  }
  return out;
}
