import type { ArcSummary, Entity, Fact, SearchHit } from '../store/types.js';

/** Pure helpers over story memory: which entities and lore an action touches, and what each entity currently is. */

const branchSets = new WeakMap<readonly string[], Set<string>>();

/** A Set of the branch's turn ids, built once per branch array (the store's branch cache hands out one per head). */
export function branchSet(ids: readonly string[]): Set<string> {
  let set = branchSets.get(ids);
  if (!set) branchSets.set(ids, (set = new Set(ids)));
  return set;
}

const branchIndexes = new WeakMap<readonly string[], Map<string, number>>();

/** Position of each turn id on the branch, built once per branch array (as branchSet). */
export function branchIndex(ids: readonly string[]): Map<string, number> {
  let index = branchIndexes.get(ids);
  if (!index) branchIndexes.set(ids, (index = new Map(ids.map((id, i) => [id, i]))));
  return index;
}

export function mentions(haystackLower: string, term: string): boolean {
  const t = term.trim().toLowerCase();
  return t.length >= 2 && hasWholeWord(haystackLower, t);
}

/** Whether `term` occurs in `text` with no letter, digit or underscore on either side (the caller sets the case). */
export function hasWholeWord(text: string, term: string): boolean {
  for (let from = 0; ;) {
    const i = text.indexOf(term, from);
    if (i < 0) return false;
    const before = i === 0 ? ' ' : text[i - 1]!;
    const after = text[i + term.length] ?? ' ';
    if (!isWordChar(before) && !isWordChar(after)) return true;
    from = i + 1;
  }
}

function isWordChar(c: string): boolean {
  return /[\p{L}\p{N}_]/u.test(c);
}

export function entityTerms(e: Entity): string[] {
  return [e.name, ...e.aliases, ...nameParts(e)];
}

/** "Captain Maren Vale" is also met as "Maren": the name's capitalised parts. */
function nameParts(e: Entity): string[] {
  return e.name.split(/\s+/).filter((part) => part.length >= 3 && /^\p{Lu}/u.test(part) && !STOP_TITLES.has(part.toLowerCase()));
}

/** What names an entity: its full name and aliases (`whole`), and the parts of its name. */
export interface NameTerms {
  whole: readonly string[];
  parts: readonly string[];
}

export function nameTerms(e: Entity): NameTerms {
  return { whole: [e.name, ...e.aliases], parts: nameParts(e) };
}

/**
 * Which of `named` a (lower-cased) text names, each with the term that named it, in their order. A full name or
 * an alias names its own; a part of a name only where it is not inside a full name or alias already matched:
 * "Hestia Fairholt" names Hestia, not every Fairholt, while "ask Fairholt" names them all.
 */
export function namesIn<T>(textLower: string, named: readonly T[], termsOf: (x: T) => NameTerms): Map<T, string> {
  const whole = new Map<T, string>();
  let rest = textLower;
  for (const x of named) {
    let term: string | undefined;
    for (const t of termsOf(x).whole) {
      if (!mentions(textLower, t)) continue;
      term ??= t;
      rest = blankMentions(rest, t);
    }
    if (term !== undefined) whole.set(x, term);
  }
  const out = new Map<T, string>();
  for (const x of named) {
    const term = whole.get(x) ?? termsOf(x).parts.find((t) => mentions(rest, t));
    if (term !== undefined) out.set(x, term);
  }
  return out;
}

/** The visible entities a (lower-cased) text names, by the rule of namesIn. */
export function namedIn(entities: readonly Entity[], visible: (e: Entity) => boolean, textLower: string): Map<Entity, string> {
  return namesIn(textLower, entities.filter(visible), nameTerms);
}

/** The text with each whole-word mention of the term blanked out (same length). */
function blankMentions(haystackLower: string, term: string): string {
  const t = term.trim().toLowerCase();
  let out = haystackLower;
  for (let i = out.indexOf(t); t.length >= 2 && i >= 0; i = out.indexOf(t, i + 1)) {
    const before = i === 0 ? ' ' : out[i - 1]!;
    const after = out[i + t.length] ?? ' ';
    if (!isWordChar(before) && !isWordChar(after)) out = out.slice(0, i) + ' '.repeat(t.length) + out.slice(i + t.length);
  }
  return out;
}
const STOP_TITLES = new Set(['the', 'captain', 'lord', 'lady', 'king', 'queen', 'sir', 'old', 'young', 'doctor', 'mister', 'miss']);

export interface ScoredEntity {
  entity: Entity;
  score: number;
  /** Where it was seen, strongest first: action, recent, relevant. */
  via: 'action' | 'recent' | 'relevant';
}

/**
 * The visible entities in play, strongest first: named in the action, in the recent turns, or only in the
 * retrieved passages. In two steps: the first reads the action and the recent turns (known before the search
 * answers, so context assembly runs it while the search is out); the step it returns adds the passages.
 */
export function entitiesInPlay(entities: Entity[], visible: (e: Entity) => boolean, texts: { action: string; recent: string }): (relevant: string) => ScoredEntity[] {
  const inAction = namedIn(entities, visible, texts.action.toLowerCase());
  const inRecent = namedIn(entities, visible, texts.recent.toLowerCase());
  const seen: ScoredEntity[] = [];
  for (const e of entities) {
    if (inAction.has(e)) seen.push({ entity: e, score: 3, via: 'action' });
    else if (inRecent.has(e)) seen.push({ entity: e, score: 2, via: 'recent' });
  }
  return (relevant) => {
    // Read against every visible entity, so a full name seen earlier still keeps its surname from naming others.
    const inRelevant = namedIn(entities, visible, relevant.toLowerCase());
    const out = [...seen, ...entities.filter((e) => inRelevant.has(e) && !inAction.has(e) && !inRecent.has(e)).map((e): ScoredEntity => ({ entity: e, score: 1, via: 'relevant' }))];
    return out.sort((x, y) => y.score - x.score);
  };
}

export interface FactView {
  key: string;
  value: string;
  depth: number;
  /** Older values of the same key on this branch, newest first. */
  history: { value: string; depth: number }[];
}

/**
 * The value each key has at the branch's head: the newest row by depth (the turn it applies from), ties going
 * to the later write (`facts` arrive oldest first, as listFacts returns them). A key whose newest row is a
 * tombstone is gone; superseded values stay as history.
 */
export function currentFacts(facts: Fact[], onBranch: (f: Fact) => boolean): Map<string, FactView[]> {
  const out = new Map<string, FactView[]>();
  for (const [entityId, keys] of factRowsByKey(facts, onBranch)) {
    const views: FactView[] = [];
    for (const list of keys.values()) {
      const [cur, ...old] = list;
      if (!cur || cur.removed) continue;
      views.push({ key: cur.key, value: cur.value, depth: cur.depth, history: old.filter((o) => !o.removed && o.value !== cur.value).map((o) => ({ value: o.value, depth: o.depth })) });
    }
    if (views.length) out.set(entityId, views.sort((x, y) => y.depth - x.depth));
  }
  return out;
}

/** Every row of every key on the branch, newest first per key (entity id → lower-cased key → rows): the full history. */
export function factRowsByKey(facts: Fact[], onBranch: (f: Fact) => boolean): Map<string, Map<string, Fact[]>> {
  const byEntity = new Map<string, Map<string, { f: Fact; i: number }[]>>();
  facts.forEach((f, i) => {
    if (!onBranch(f)) return;
    let keys = byEntity.get(f.entityId);
    if (!keys) byEntity.set(f.entityId, (keys = new Map()));
    const k = f.key.trim().toLowerCase();
    const list = keys.get(k);
    if (list) list.push({ f, i });
    else keys.set(k, [{ f, i }]);
  });
  const out = new Map<string, Map<string, Fact[]>>();
  for (const [entityId, keys] of byEntity) {
    const m = new Map<string, Fact[]>();
    for (const [k, list] of keys) m.set(k, list.sort((x, y) => y.f.depth - x.f.depth || y.i - x.i).map((x) => x.f));
    out.set(entityId, m);
  }
  return out;
}

export function renderEntitySheet(e: Entity, facts: FactView[]): string {
  const aka = e.aliases.length ? ` (aka ${e.aliases.join(', ')})` : '';
  const lines = [`${e.name} [${e.kind}]${aka}${e.description ? `: ${e.description}` : ''}`];
  for (const f of facts) {
    const when = f.depth > 0 ? ` (turn ${f.depth}` + (f.history[0] ? `; was: ${f.history[0].value}` : '') + ')' : f.history[0] ? ` (was: ${f.history[0].value})` : '';
    lines.push(`- ${f.key}: ${f.value}${when}`);
  }
  return lines.join('\n');
}

/** Latest summary of a kind whose last covered turn lies on this branch. */
export function latestOnBranch(arcs: ArcSummary[], kind: ArcSummary['kind'], onBranch: Set<string>): ArcSummary | undefined {
  let best: ArcSummary | undefined;
  for (const a of arcs) if (a.kind === kind && onBranch.has(a.toTurnId) && (!best || a.toDepth > best.toDepth)) best = a;
  return best;
}

/** Reciprocal-rank fusion of BM25 and vector hits (k=60, the usual constant); robust to their different score scales. */
export function fuseHits(lists: SearchHit[][], keep: (id: string) => boolean, limit: number): SearchHit[] {
  const scores = new Map<string, number>();
  for (const list of lists) {
    let rank = 0;
    for (const hit of list) {
      if (!keep(hit.turnId)) continue;
      rank++;
      scores.set(hit.turnId, (scores.get(hit.turnId) ?? 0) + 1 / (60 + rank));
    }
  }
  return [...scores.entries()].sort((a, b) => b[1] - a[1]).slice(0, limit).map(([turnId, score]) => ({ turnId, score }));
}
