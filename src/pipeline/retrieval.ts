import type { Entity, Fact, PassageSearch, PipelineStore, ProseEdge, SearchHit } from '../store/types.js';
import { fuseHits, mentions, namedIn } from './memory.js';
import { scoreContext, scoreSentence, type ScoreContext } from './sentence-score.js';

/**
 * Passage retrieval for the Preprocessor: sentences around the matches rather than whole turns, so the budget
 * holds many facts instead of a few turns of filler. Entities named in the action (by name, first name or alias)
 * expand the query with their other names, and the turns where their facts were established join the candidates.
 * Passages are re-ranked so that those carrying a fact (the question's words, a relation to another entity,
 * a quoted word) beat passing mentions of a name. Every passage says why it was chosen.
 */

export interface Passage {
  turnId: string;
  depth: number;
  text: string;
  score: number;
  /** Why it was chosen, for `luna context`. */
  why: string[];
}

export interface RetrieveInput {
  store: PipelineStore;
  storyId: string;
  action: string;
  entities: Entity[];
  facts: Fact[];
  /** On this branch and outside the recent window. */
  keep: (turnId: string) => boolean;
  visible: (e: Entity) => boolean;
  /** Most passages returned (the packer decides how many fit). */
  maxPassages: number;
  /** The next turn on this branch after a turn, for facts told across two turns. */
  nextOnBranch?: (turnId: string) => string | undefined;
  /** Vector hits for the action, when an embedding model is configured. */
  vectorHits?: SearchHit[];
  /** How deep the text search goes, and how many hits' turns it reads with them (searchPlan). */
  search: SearchPlan;
  /** A text search already under way (that plan), used when its query is the one this retrieval asks. */
  early?: { query: string; result: Promise<PassageSearch> };
}

export interface Retrieved {
  passages: Passage[];
  /** Entities the action names, and by which term. */
  named: { entity: Entity; via: string }[];
  bm25Hits: number;
  query: string;
}

/**
 * Candidate turns read per question: enough to reach past the passing mentions of a name. Measured on the recall
 * bench's stories (600, 5,000 and 20,000 turns, several seeds): 14 to 24 recall the same, 12 loses 1-3% of the
 * indirect questions; each 8 more cost ~0.4 ms of context assembly on PostgreSQL (reading and scoring them).
 * With vector hits fused in, words and meaning share the candidates, so there are more.
 */
const CANDIDATE_TURNS = 16;
const FUSED_CANDIDATE_TURNS = 24;
const PRONOUN_START = /^(?:later|then|afterwards|there|so|and|but)?[,\s]*(?:she|he|they|it|her|his|their|its|this|that)\b/i;

export interface SearchPlan {
  /** Hits asked for. */
  limit: number;
  /** Of those, the first whose turns are read with the search (store.searchPassages). */
  read: number;
  /** Hits on this branch kept as candidates (fused with the vector hits, when there are any). */
  candidates: number;
}

/**
 * How deep the text search goes. With vector hits to fuse, a deep list (a turn ranked 50th by words may be first
 * by meaning). Without, only the best `candidates` kept hits are read, so the search asks for those and the
 * recent turns it will skip; a branch that skips more searches again (retrievePassages). The top hits are the
 * same either way, but a smaller limit is cheaper: the search stops reading a common word's hits once the last
 * hit wanted outranks them ("Where is the iron key buried?": 85 ms for 72 hits at 10,000 turns, 3 ms for 27).
 * The turns of that many hits come with the search: the candidates are almost always among them.
 */
export function searchPlan(opts: { vectors: boolean; skipped: number }): SearchPlan {
  const candidates = opts.vectors ? FUSED_CANDIDATE_TURNS : CANDIDATE_TURNS;
  const read = candidates + opts.skipped;
  return { limit: opts.vectors ? candidates * 3 : read, read, candidates };
}
/** The deepest a search goes again when the branch skipped too many of its hits. */
const MAX_SEARCH_LIMIT = 480;

/**
 * The text search's query: the action, expanded with the other names and aliases of the entities it names
 * (the passage that states a fact names the person, not the epithet the player used).
 */
export function searchQuery(entities: Entity[], visible: (e: Entity) => boolean, action: string): { named: Retrieved['named']; query: string } {
  const named = namedInAction(entities, visible, action);
  const actionLower = action.toLowerCase();
  const expansion = named.flatMap(({ entity }) => [entity.name, ...entity.aliases]).filter((t) => !mentions(actionLower, t));
  return { named, query: [action, ...expansion].join(' ') };
}

export async function retrievePassages(input: RetrieveInput): Promise<Retrieved> {
  const { store, storyId, action, entities } = input;
  const { named, query } = searchQuery(entities, input.visible, action);
  // The turns where the named entities' facts were established: read with the search.
  const factTurns = factTurnsOf(named, input.facts, input.keep);
  const factIds = [...factTurns.keys()].slice(-FACT_TURNS_READ);
  // A search started before the memory was read counts only if it asked the same query.
  const searching = input.early?.query === query ? input.early.result : store.searchPassages(storyId, query, input.search.limit, input.search.read, factIds);
  const namedIds = new Set(named.map((n) => n.entity.id));
  // Worked out while the search is out: it needs only the names.
  const ctx = scoreContext(action, named.map((n) => n.entity), entities.filter((e) => !namedIds.has(e.id) && input.visible(e)));
  const found = await searching;
  let bm25 = found.hits;
  // Other branches' turns took the places of this branch's: ask deeper, until enough are kept or none are left.
  for (let limit = input.search.limit; bm25.length >= limit && limit < MAX_SEARCH_LIMIT && bm25.filter((h) => input.keep(h.turnId)).length < input.search.candidates;) {
    limit = Math.min(MAX_SEARCH_LIMIT, limit * 4);
    bm25 = await store.searchTurns(storyId, query, limit);
  }
  const fused = fuseHits([bm25, input.vectorHits ?? []], input.keep, input.search.candidates);
  const ids = [...new Set([...fused.map((h) => h.turnId), ...factIds])];
  if (!ids.length) return { passages: [], named, bm25Hits: bm25.length, query };
  // Fact turns and vector hits the search did not read, with their neighbours: one more read at most.
  const known = new Map(found.turns.map((t) => [t.turn.id, t]));
  const missing = ids.filter((id) => !known.has(id));
  if (missing.length) for (const t of await store.getPassageTurns(storyId, missing)) known.set(t.turn.id, t);
  const turns = ids.flatMap((id) => known.get(id) ?? []);
  const rank = new Map(fused.map((h, i) => [h.turnId, i]));

  const { queryStems, named: namedTerms } = ctx;
  // A question of one word and no name ("password?") has nothing but that word to match: a sentence saying it passes.
  const bar = !queryStems.length ? MIN_SENTENCE - 1 : namedTerms.length ? MIN_SENTENCE : Math.min(MIN_SENTENCE, 2 * queryStems.length);
  const passages: Passage[] = [];
  const needParent: { passage: Passage; tail: ProseEdge }[] = [];
  const needChild: { passage: Passage; childId: string; head: ProseEdge }[] = [];
  for (const { turn, parentTail, children } of turns) {
    const sentences = splitSentences(turn.prose);
    const facts = factTurns.get(turn.id) ?? [];
    const scored = sentences.map((s) => scoreSentence(s, ctx, facts));
    // A window around each sentence worth showing; a pronoun-led sentence takes the one before it (its referent).
    const picked = new Set<number>();
    scored.forEach((sc, i) => {
      const pronoun = PRONOUN_START.test(sentences[i]!);
      if (sc.score < bar && !(pronoun && i === 0 && sc.score >= 2)) return;
      picked.add(i);
      if (i > 0 && pronoun) picked.add(i - 1);
      if (i + 1 < sentences.length && PRONOUN_START.test(sentences[i + 1]!) && sc.score >= bar + 1) picked.add(i + 1);
    });
    for (const run of runs([...picked].sort((a, b) => a - b))) {
      const why = [...new Set(run.flatMap((i) => scored[i]!.why))];
      const score = Math.max(...run.map((i) => scored[i]!.score)) + run.reduce((n, i) => n + scored[i]!.score, 0) * 0.1 + bm25Bonus(rank.get(turn.id));
      const passage: Passage = { turnId: turn.id, depth: turn.depth, text: run.map((i) => sentences[i]!).join(' '), score, why };
      passages.push(passage);
      if (run[0] === 0 && PRONOUN_START.test(sentences[0]!) && parentTail) needParent.push({ passage, tail: parentTail });
      // A strong passage may go on at the start of the next turn: from near the end of its own, or from further
      // up when that start answers the question itself (the story told something else between the two halves).
      const childId = score >= bar + 1 ? input.nextOnBranch?.(turn.id) : undefined;
      const head = childId === undefined ? undefined : children.find((c) => c.id === childId);
      if (childId && head && (run.at(-1)! >= sentences.length - 2 || answersQuestion(head, ctx))) needChild.push({ passage, childId, head });
    }
  }
  // A fact told across two turns: a pronoun's referent is the previous turn's last sentence, and a passage
  // ending a turn may go on in the next one's pronoun-led first sentence (both read with the turn).
  needChild.sort((a, b) => b.passage.score - a.passage.score).splice(8);
  for (const { passage, tail: parentTail } of needParent) {
    // The referent is near the end of the previous turn: the best of its last sentences, else the last.
    const tail = edgeSentences(parentTail).slice(-3);
    const last = tail.reduce<{ s?: string; n: number }>((best, s) => {
      const n = scoreSentence(s, ctx, []).score;
      return n > best.n ? { s, n } : best;
    }, { s: tail.at(-1), n: 0 }).s;
    if (!last) continue;
    passage.text = `${last} ${passage.text}`;
    const sc = scoreSentence(last, ctx, []);
    passage.score += sc.score * 0.8;
    passage.why = [...new Set([...passage.why, ...sc.why, 'continues the previous turn'])];
  }
  for (const { passage, childId, head } of needChild) {
    const first = edgeSentences(head, 'start')[0];
    if (!first || !PRONOUN_START.test(first) || passages.some((p) => p.turnId === childId && p.text.includes(first))) continue;
    passage.text = `${passage.text} ${first}`;
    passage.score += scoreSentence(first, ctx, []).score * 0.5;
    passage.why = [...passage.why, 'goes on in the next turn'];
  }
  // Best first; among equals the later turn, since a newer statement of a fact supersedes an older one.
  passages.sort((a, b) => b.score - a.score || b.depth - a.depth);
  return { passages: passages.slice(0, input.maxPassages), named, bm25Hits: bm25.length, query };
}

/** The turns kept where facts of the named entities were recorded, each with those facts, in the facts' order. */
export function factTurnsOf(named: Retrieved['named'], facts: readonly Fact[], keep: (turnId: string) => boolean): Map<string, Fact[]> {
  const namedIds = new Set(named.map((n) => n.entity.id));
  const out = new Map<string, Fact[]>();
  for (const f of facts) {
    if (!namedIds.has(f.entityId) || f.turnId === null || !keep(f.turnId)) continue;
    const list = out.get(f.turnId);
    if (list) list.push(f);
    else out.set(f.turnId, [f]);
  }
  return out;
}

/** Fact turns read with a search: the newest of them. */
export const FACT_TURNS_READ = 24;

/** A name alone (3) is a passing mention: under the bar, unless the action asks about nothing but the name. */
const MIN_SENTENCE = 4;

/** Entities the action names, by full name, alias, or a capitalised part of a name (see namedIn); and the term that matched. */
export function namedInAction(entities: Entity[], visible: (e: Entity) => boolean, action: string): Retrieved['named'] {
  return [...namedIn(entities, visible, action.toLowerCase())].map(([entity, via]) => ({ entity, via }));
}

/** A turn's start that goes on from the one before (pronoun-led) and meets the question's words or names on its own. */
function answersQuestion(head: ProseEdge, ctx: ScoreContext): boolean {
  const first = edgeSentences(head, 'start')[0];
  return first !== undefined && PRONOUN_START.test(first) && scoreSentence(first, ctx, []).score >= 2;
}

function bm25Bonus(rank: number | undefined): number {
  return rank === undefined ? 0 : Math.max(0, 1.5 - rank * 0.1);
}

/** The whole sentences of a prose edge: where the text was cut, the sentence it cut through is left out. */
function edgeSentences(edge: ProseEdge, at: 'start' | 'end' = 'end'): string[] {
  const all = splitSentences(edge.text);
  if (edge.whole) return all;
  return at === 'end' ? all.slice(1) : all.slice(0, -1);
}

export function splitSentences(text: string): string[] {
  return text.split(/(?<=[.!?…]["”’)]?)\s+(?=["“(]?\p{Lu})/u).map((s) => s.trim()).filter(Boolean);
}

function runs(sorted: number[]): number[][] {
  const out: number[][] = [];
  for (const i of sorted) {
    const last = out.at(-1);
    if (last && last.at(-1)! + 1 === i) last.push(i);
    else out.push([i]);
  }
  return out;
}
