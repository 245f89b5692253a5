import { createHash } from 'node:crypto';
import type { LoreEntry } from '../store/types.js';
import { haystack, matcherFor, REGEX_KEY, WORD, type Haystack } from './lore-keys.js';

export { regexKeyProblem } from './lore-keys.js';

/**
 * The lore matcher, with the rules players know from SillyTavern World Info: primary keys (plain words or
 * `/regex/flags`), secondary keys combined by AND ANY / AND ALL / NOT ANY / NOT ALL, case sensitivity,
 * whole-word matching, probability rolled from a seed (the same turn rolls the same, so retries and tests
 * are stable), and bounded recursion (a triggered entry's text can trigger others). Pure: no store, no I/O.
 */

export type LoreVia = 'constant' | 'action' | 'context' | 'recursion';

export interface LoreTrigger {
  entry: LoreEntry;
  via: LoreVia;
  /** The primary key that matched (none for constant entries). */
  key?: string;
  /** How the secondary keys let it through, e.g. `and any: "bell"` or `not any of "storm", "night"`. */
  secondary?: string;
  /** Title of the entry whose text triggered this one (recursion). */
  from?: string;
  /** 0 for entries triggered by the action or context, 1… for recursion steps. */
  step: number;
  /** The probability roll (0–99.99) when the entry has a probability under 100. */
  roll?: number;
}

export interface LoreMiss {
  entry: LoreEntry;
  key?: string;
  /** Why a matched entry was left out. */
  reason: 'probability';
  roll: number;
}

export interface LoreMatchInput {
  action: string;
  /** Recent turns and names in play: what else the keys are scanned in. */
  context: string;
  /** Rolls for probability come from this seed and the entry id: one story position rolls the same every time. */
  seed: string;
  /** How many rounds of entries triggering entries; 0 turns recursion off. */
  maxRecursion: number;
}

export interface LoreMatch {
  triggered: LoreTrigger[];
  missed: LoreMiss[];
}

const VIA_RANK: Record<LoreVia, number> = { constant: 0, action: 1, context: 2, recursion: 3 };
function primaryKeys(entry: LoreEntry): string[] {
  return entry.keywords.length ? entry.keywords : [entry.title];
}

function firstMatch(entry: LoreEntry, keys: string[], h: Haystack): string | undefined {
  return keys.find((k) => matcherFor(entry, k)(h));
}

/** Whether the secondary keys let a primary match through, and how (for the context viewer). */
function secondaryPasses(entry: LoreEntry, texts: readonly Haystack[]): { ok: boolean; why?: string } {
  const keys = entry.secondaryKeys;
  if (!keys.length) return { ok: true };
  const found = keys.filter((k) => texts.some((h) => matcherFor(entry, k)(h)));
  const list = (ks: string[]) => ks.map((k) => JSON.stringify(k)).join(', ');
  switch (entry.logic) {
    case 'and-any': return { ok: found.length > 0, why: `and any: ${list(found)}` };
    case 'and-all': return { ok: found.length === keys.length, why: `and all: ${list(keys)}` };
    case 'not-any': return { ok: found.length === 0, why: `not any of ${list(keys)}` };
    case 'not-all': return { ok: found.length < keys.length, why: `not all: ${list(keys.filter((k) => !found.includes(k)))} absent` };
  }
}

/** A roll in [0, 100) from the seed and the entry id: uniform, and the same for the same story position. */
export function loreRoll(seed: string, entryId: string): number {
  const h = createHash('sha256').update(seed).update('\0').update(entryId).digest();
  return (h.readUInt32BE(0) / 0x1_0000_0000) * 100;
}

/**
 * Which entries a text can possibly trigger, without trying every entry: a whole-word plain key is indexed by
 * its first word (lower-case; the matcher then checks case and the whole key), everything else (regex keys,
 * keys matching inside words) is always tried. Entries come back in lore order, so results do not depend on
 * the text's word order.
 */
interface KeyIndex {
  byWord: Map<string, number[]>;
  always: number[];
  /** The enabled constant entries. */
  constant: number[];
}

/**
 * Built once per lore array: the story's memory read hands out the same array until the lore's revision moves
 * (and entries are never changed in place; the matchers are cached per entry too). Building it was 40% of a
 * match over 5,000 entries.
 */
const indexes = new WeakMap<readonly LoreEntry[], KeyIndex>();

function indexFor(lore: readonly LoreEntry[]): KeyIndex {
  let index = indexes.get(lore);
  if (!index) indexes.set(lore, (index = buildIndex(lore)));
  return index;
}

function buildIndex(lore: readonly LoreEntry[]): KeyIndex {
  const byWord = new Map<string, number[]>();
  const always: number[] = [];
  const constant: number[] = [];
  lore.forEach((entry, i) => {
    if (entry.enabled && entry.constant) constant.push(i);
    if (!entry.enabled || entry.constant) return;
    const firsts = new Set<string>();
    let scanAlways = false;
    for (const key of primaryKeys(entry)) {
      const first = REGEX_KEY.test(key) || !entry.wholeWords ? undefined : firstWord(key.toLowerCase());
      if (first === undefined) scanAlways = true;
      else firsts.add(first);
    }
    if (scanAlways) return void always.push(i);
    for (const w of firsts) {
      const list = byWord.get(w);
      if (list) list.push(i);
      else byWord.set(w, [i]);
    }
  });
  return { byWord, always, constant };
}

/** The first word of a lower-case key; plain ASCII is read by hand (the Unicode regex dominated index building). */
function firstWord(key: string): string | undefined {
  let start = -1;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (c > 127) return key.match(WORD)?.[0];
    const word = (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 95;
    if (word && start < 0) start = i;
    else if (!word && start >= 0) return key.slice(start, i);
  }
  return start >= 0 ? key.slice(start) : undefined;
}

function candidates(index: KeyIndex, texts: readonly Haystack[]): number[] {
  const out = new Set<number>(index.always);
  for (const h of texts) for (const w of h.words(false)) for (const i of index.byWord.get(w) ?? []) out.add(i);
  return [...out].sort((a, b) => a - b);
}

export function matchLore(lore: readonly LoreEntry[], input: LoreMatchInput): LoreMatch {
  const index = indexFor(lore);
  const action = haystack(input.action);
  const context = haystack(input.context);
  // Everything scanned so far, piece by piece: each piece's words are computed once, never the whole again.
  const scanned: Haystack[] = [action, context];
  const triggered: LoreTrigger[] = [];
  const missed: LoreMiss[] = [];
  const done = new Set<string>();

  /** Rolls for probability; a miss is recorded and the entry is settled for this turn. */
  const admit = (t: LoreTrigger): boolean => {
    done.add(t.entry.id);
    if (t.entry.probability >= 100) {
      triggered.push(t);
      return true;
    }
    const roll = loreRoll(input.seed, t.entry.id);
    if (roll < t.entry.probability) {
      triggered.push({ ...t, roll });
      return true;
    }
    missed.push({ entry: t.entry, key: t.key, reason: 'probability', roll });
    return false;
  };

  let fresh: LoreTrigger[] = [];
  for (const i of index.constant) if (admit({ entry: lore[i]!, via: 'constant', step: 0 })) fresh.push(triggered.at(-1)!);
  for (const i of candidates(index, [action, context])) {
    const entry = lore[i]!;
    if (done.has(entry.id)) continue;
    const keys = primaryKeys(entry);
    const inAction = firstMatch(entry, keys, action);
    const key = inAction ?? firstMatch(entry, keys, context);
    if (key === undefined) continue;
    const sec = secondaryPasses(entry, scanned);
    if (!sec.ok) continue;
    if (admit({ entry, via: inAction !== undefined ? 'action' : 'context', key, secondary: sec.why, step: 0 })) fresh.push(triggered.at(-1)!);
  }

  // Recursion: the text of what was just triggered is scanned for the keys of what was not, round by round.
  // Each round scans the new text once per entry; which entry's text it was is looked up only on a match.
  for (let step = 1; step <= input.maxRecursion && fresh.length; step++) {
    const sources = fresh.filter((t) => !t.entry.preventRecursion);
    fresh = [];
    if (!sources.length) break;
    const roundText = haystack(sources.map((t) => t.entry.body).join('\n'));
    scanned.push(roundText);
    const bodies = sources.map((src) => ({ src, h: haystack(src.entry.body) }));
    for (const i of candidates(index, [roundText])) {
      const entry = lore[i]!;
      if (entry.excludeRecursion || done.has(entry.id)) continue;
      const keys = primaryKeys(entry);
      const key = firstMatch(entry, keys, roundText);
      if (key === undefined) continue;
      const from = bodies.find((b) => matcherFor(entry, key)(b.h))?.src ?? sources[0]!;
      const sec = secondaryPasses(entry, scanned);
      if (!sec.ok) continue;
      if (admit({ entry, via: 'recursion', key, secondary: sec.why, from: from.entry.title, step })) fresh.push(triggered.at(-1)!);
    }
  }

  triggered.sort((a, b) => VIA_RANK[a.via] - VIA_RANK[b.via] || b.entry.priority - a.entry.priority || a.step - b.step);
  return { triggered, missed };
}

/** One line saying why an entry is in the context, for `luna context` and the API. */
export function describeTrigger(t: LoreTrigger): string {
  const parts: string[] = [];
  if (t.via === 'constant') parts.push('constant');
  else if (t.via === 'recursion') parts.push(`key ${JSON.stringify(t.key)} in the text of "${t.from}" (recursion step ${t.step})`);
  else parts.push(`key ${JSON.stringify(t.key)} in the ${t.via === 'action' ? 'action' : 'recent turns'}`);
  if (t.secondary) parts.push(t.secondary);
  if (t.roll !== undefined) parts.push(`rolled ${t.roll.toFixed(1)} < ${t.entry.probability}%`);
  return parts.join('; ');
}
