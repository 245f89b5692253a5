import { searchPhrases, searchTerms } from '../store/fts-query.js';
import type { Entity, Fact } from '../store/types.js';
import { nameTerms, namesIn, type NameTerms } from './memory.js';

/**
 * How a sentence of a candidate turn is scored for passage retrieval (retrieval.ts): the question's words by
 * stem, the entities it names, and what makes a sentence carry a fact rather than mention a name in passing.
 */

/**
 * The scoring context for one action: the entities it names (plus capitalised words no entity has), the
 * others the story knows (a sentence naming one of them relates it), and the question's other words as stems.
 */
export function scoreContext(action: string, named: readonly Entity[], others: readonly Entity[]): ScoreContext {
  const namedTerms = named.map(termsOf);
  const otherTerms = others.map(termsOf);
  // A capitalised word of the action the story has no entity for is still a name ("Lune" before anyone recorded her).
  for (const w of properNouns(action)) {
    if (!namedTerms.some((n) => n.terms.some((t) => t.split(/\s+/).includes(w))) && !otherTerms.some((o) => o.terms.includes(w))) namedTerms.push({ name: w, terms: [w], whole: [w], parts: [] });
  }
  const nameWords = new Set(namedTerms.flatMap((n) => n.terms.flatMap((t) => t.split(/\s+/))));
  const queryStems = searchTerms(action).filter((t) => !nameWords.has(t)).map(stem);

  // Other entities by each word of their names, so a sentence is checked against the few its words could name.
  const othersByWord = new Map<string, ScoredName[]>();
  for (const o of otherTerms) {
    for (const w of new Set(o.terms.flatMap((t) => t.match(WORD) ?? []))) {
      if (w.length < 3 || w === 'the') continue;
      const list = othersByWord.get(w);
      if (list) list.push(o);
      else othersByWord.set(w, [o]);
    }
  }
  const namedWords = new Set(namedTerms.flatMap((n) => n.terms.flatMap((t) => t.match(WORD) ?? [])));
  const phrases = searchPhrases(action);
  return { queryStems, phrases, named: namedTerms, othersByWord, namedWords, wordHits: new Map(), maybe: couldScore(queryStems, namedTerms, phrases) };
}

/**
 * A regex every lower-cased sentence scoring above zero without facts matches, so the rest skip scoring: a word
 * starting as a query stem does (sameStem needs 3 shared letters, and stem() keeps a word's first three, but for
 * a 5-letter -ies word whose third letter becomes y: flies/fly), or a named term, or a phrase of the question.
 * The other points (a relation, a quote, a proper name) are only given to a sentence naming an entity.
 */
export function couldScore(queryStems: readonly string[], named: readonly { terms: string[] }[], phrases: readonly string[]): RegExp {
  const starts = queryStems.map((q) => (q.length < 3 ? esc(q) : `${esc(q.slice(0, 2))}${q[2] === 'y' ? '[yi]' : esc(q[2]!)}`));
  const anywhere = [...named.flatMap((n) => n.terms.map((t) => t.trim()).filter((t) => t.length >= 2)), ...phrases].map(esc);
  const alts = [...(starts.length ? [`(?<![\\p{L}\\p{N}_])(?:${starts.join('|')})`] : []), ...anywhere];
  return alts.length ? new RegExp(alts.join('|'), 'u') : NEVER;
}
const NEVER = /(?!)/;
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const ZERO: SentenceScore = Object.freeze({ score: 0, why: Object.freeze([]) as readonly string[] });

export interface SentenceScore { score: number; why: readonly string[] }
/** An entity (or a bare capitalised word) as scoring matches it, lower-cased: `terms` is `whole` then `parts`. */
export interface ScoredName extends NameTerms { name: string; terms: string[] }

function termsOf(e: Entity): ScoredName {
  const { whole, parts } = nameTerms(e);
  const w = whole.map((x) => x.toLowerCase());
  const p = parts.map((x) => x.toLowerCase());
  return { name: e.name, whole: w, parts: p, terms: [...w, ...p] };
}
export interface ScoreContext {
  queryStems: string[];
  named: ScoredName[];
  othersByWord: Map<string, ScoredName[]>;
  namedWords: Set<string>;
  /** Adjacent content-word pairs of the action. */
  phrases: string[];
  /** Word → the query stems it matches, shared by every sentence of one retrieval. */
  wordHits: Map<string, readonly string[]>;
  /**
   * Matches every lower-cased sentence that can score without recorded facts (couldScore): most sentences of a
   * candidate turn are filler, and scoring one costs its words and a few arrays; this test costs one regex.
   */
  maybe: RegExp;
}

/**
 * A sentence earns points for the question's own words (2 each), for naming an entity the action names (3),
 * for carrying a fact about it: another entity in the same sentence (a relation), a quoted word or number (2),
 * or the value of one of its recorded facts (4). A name alone, a passing mention, stays under the bar (MIN_SENTENCE).
 */
export function scoreSentence(sentence: string, ctx: ScoreContext, facts: readonly Fact[]): SentenceScore {
  const lower = sentence.toLowerCase();
  if (!facts.length && !ctx.maybe.test(lower)) return ZERO;
  const tokens = lower.match(WORD) ?? [];
  const why: string[] = [];
  let score = 0;
  if (ctx.queryStems.length) {
    const hits = new Set<string>();
    for (const w of tokens) for (const q of queryHitsOf(w, ctx)) hits.add(q);
    if (hits.size) {
      const matched = ctx.queryStems.filter((q) => hits.has(q));
      score += 2 * matched.length;
      why.push(`matches ${matched.join(', ')}`);
    }
    const phrase = ctx.phrases.find((p) => lower.includes(p));
    if (phrase) {
      score += 2;
      why.push(`says "${phrase}"`);
    }
  }
  // The named entities and the others the sentence's words could name, matched together: "Hestia Fairholt" names
  // Hestia, and neither relates her to every other Fairholt nor names another Fairholt the action asked about.
  const others = [...new Set(tokens.flatMap((w) => ctx.othersByWord.get(w) ?? []))];
  const found = namesIn(lower, [...ctx.named, ...others], (x) => x);
  const names = ctx.named.filter((n) => found.has(n));
  if (names.length) {
    score += 3;
    why.push(`names ${names.map((n) => n.name).join(', ')}`);
    const related = others.find((o) => found.has(o));
    if (related) {
      score += 2;
      why.push(`relates to ${related.name}`);
    }
    if (/["“][^"”]{2,40}["”]|\d/.test(sentence)) {
      score += 2;
      why.push('quotes a word or number');
    }
    // A proper name the story has no entity for ("a cat named Pickle", "at Kestrel Tower") is usually a fact's object.
    const proper = properNouns(sentence).find((w) => !ctx.namedWords.has(w) && !ctx.othersByWord.has(w));
    if (proper && !related) {
      score += 1;
      why.push(`names ${proper}`);
    }
  }
  const fact = facts.find((f) => f.value.length >= 3 && lower.includes(f.value.toLowerCase().slice(0, 40)));
  if (fact) {
    score += 4;
    why.push(`established ${fact.key}`);
  } else if (facts.length && names.length) {
    score += 1;
    why.push('a turn where its facts were recorded');
  }
  return { score, why };
}

/** The query stems a word matches, worked out once per distinct word of a retrieval (its prose repeats words). */
function queryHitsOf(word: string, ctx: ScoreContext): readonly string[] {
  let hits = ctx.wordHits.get(word);
  if (hits === undefined) {
    const st = stem(word);
    hits = ctx.queryStems.filter((q) => sameStem(q, st));
    ctx.wordHits.set(word, hits.length ? hits : NONE);
  }
  return hits;
}
const NONE: readonly string[] = Object.freeze([]);
const WORD = /[\p{L}\p{N}_]+/gu;
const CAPITALISED = /(?<=[\p{L},;:]\s+)\p{Lu}[\p{Ll}'’-]+/gu;

/** Capitalised words after the sentence's first, lower-cased: names the sentence mentions. */
export function properNouns(sentence: string): string[] {
  return [...sentence.matchAll(CAPITALISED)].map((m) => m[0].toLowerCase().replace(/['’]s$/, ''));
}

/** A light stemmer: enough to match hide/hides/hid, bury/buries, move/moved; compared by prefix (sameStem). */
export function stem(word: string): string {
  let w = word.toLowerCase();
  if (w.length > 4 && w.endsWith('ies')) w = `${w.slice(0, -3)}y`;
  else if (w.length > 3 && w.endsWith('s') && !w.endsWith('ss')) w = w.slice(0, -1);
  if (w.length > 5 && w.endsWith('ing')) w = w.slice(0, -3);
  else if (w.length > 4 && w.endsWith('ed')) w = w.slice(0, -2);
  return w;
}

/**
 * Same word up to an ending: a shared prefix of 3+ letters that leaves at most one letter of the shorter
 * (hide/hid, bury/buri-ed). When the shorter is all prefix, what the longer adds must be an ending (move/moved,
 * key/keys, stop/stopping): "cry" is not "crypt", nor "sea" "seal".
 */
export function sameStem(a: string, b: string): boolean {
  if (a === b) return true;
  const [s, l] = a.length <= b.length ? [a, b] : [b, a];
  if (s.length < 3 || l.length - s.length > 3) return false;
  let k = 0;
  while (k < s.length && s[k] === l[k]) k++;
  if (k < 3 || k < s.length - 1) return false;
  // stop/stopp-ing: a doubled last letter, then an ending (stem() has already cut it).
  return k < s.length || ENDING.test(l.slice(k)) || (l[k] === s[k - 1] && (k + 1 === l.length || ENDING.test(l.slice(k + 1))));
}
const ENDING = /^(?:e|s|es|ed|d|n|en|er|ers|est|ing|y|ies|ly)$/;
