import type { LoreEntry } from '../store/types.js';
import { hasWholeWord } from './memory.js';

/**
 * One lore key against one text (lore-match.ts runs them): `/regex/flags` keys with their own flags, plain keys
 * matched whole-word or inside words, in case or not; and the check that refuses a regex key that could stall a
 * turn. A key's matcher is built once per entry and key.
 */

export const REGEX_KEY = /^\/(.+)\/([a-z]*)$/s;

/** Why a `/…/flags` key cannot be used (bad pattern or flags), or null when it is fine or not a regex. */
export function regexKeyProblem(key: string): string | null {
  const m = REGEX_KEY.exec(key);
  if (!m) return null;
  try {
    new RegExp(m[1]!, cleanFlags(m[2]!));
  } catch (err) {
    return `key ${key} is not a valid regular expression: ${(err as Error).message}`;
  }
  if (nestedQuantifier(m[1]!)) {
    return `key ${key} repeats a group that itself repeats, like (a+)+: such a pattern can take minutes on one line of text; write it without the outer repeat`;
  }
  return null;
}

/**
 * Keys run on every turn against text the player types, so a pattern with exponential backtracking would
 * stall turns: a quantified group whose body is itself quantified ((a+)+, (\w*)*, (x|y+){2,}) is refused.
 * A heuristic, not a proof: it errs on the side of refusing.
 */
function nestedQuantifier(src: string): boolean {
  const stack: boolean[] = [];
  let inner = false;
  let inClass = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (c === '\\') {
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') inClass = true;
    else if (c === '(') {
      stack.push(inner);
      inner = false;
    } else if (c === ')') {
      const hadQuantifier: boolean = inner;
      inner = stack.pop() ?? false;
      if (hadQuantifier && /^(?:[+*]|\{\d*,\d*\})/.test(src.slice(i + 1))) return true;
      inner ||= hadQuantifier;
    } else if (c === '+' || c === '*' || (c === '{' && /^\{\d*,\d*\}/.test(src.slice(i)))) inner = true;
  }
  return false;
}

function cleanFlags(flags: string): string {
  // g and y make test() stateful across calls; d is useless here.
  return [...new Set(flags.replace(/[gyd]/g, ''))].join('');
}

export type Matcher = (text: Haystack) => boolean;

/** The text to scan, with its lower-case form and its words computed once (lazily). */
export interface Haystack {
  raw: string;
  lower: string;
  /** Words of the text (lower-case or as written): a whole-word key whose words are missing cannot match. */
  words(caseSensitive: boolean): Set<string>;
}

export const WORD = /[\p{L}\p{N}_]+/gu;

export function haystack(raw: string): Haystack {
  const lower = raw.toLowerCase();
  const sets: [Set<string> | null, Set<string> | null] = [null, null];
  return {
    raw,
    lower,
    words(cs) {
      const i = cs ? 1 : 0;
      return (sets[i] ??= new Set((cs ? raw : lower).match(WORD) ?? []));
    },
  };
}

const matcherCache = new WeakMap<LoreEntry, Map<string, Matcher>>();

export function matcherFor(entry: LoreEntry, key: string): Matcher {
  let byKey = matcherCache.get(entry);
  if (!byKey) matcherCache.set(entry, (byKey = new Map()));
  let m = byKey.get(key);
  if (m) return m;
  const rx = REGEX_KEY.exec(key);
  if (rx) {
    let re: RegExp | null = null;
    try {
      re = new RegExp(rx[1]!, cleanFlags(rx[2]!));
    } catch {
      re = null; // refused at write time; an old bad key simply never matches
    }
    m = (h) => (re ? re.test(h.raw) : false);
  } else {
    const cs = entry.caseSensitive;
    const term = cs ? key.trim() : key.trim().toLowerCase();
    const whole = entry.wholeWords;
    // Thousands of entries are checked per turn: a whole-word key is first looked up word by word in a set,
    // and only a key whose words are all there is searched for in the text.
    const words = whole ? term.match(WORD) ?? [] : [];
    m = (h) => {
      if (words.length) {
        const set = h.words(cs);
        if (!words.every((w) => set.has(w))) return false;
      }
      return contains(cs ? h.raw : h.lower, term, whole);
    };
  }
  byKey.set(key, m);
  return m;
}

function contains(text: string, term: string, whole: boolean): boolean {
  if (term.length < (whole ? 2 : 1)) return false;
  return whole ? hasWholeWord(text, term) : text.includes(term);
}
