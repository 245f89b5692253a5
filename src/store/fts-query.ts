/**
 * Turns arbitrary user text (an action like `Ask "why?" -- NOT now!`) into a safe FTS5 query:
 * every word becomes a quoted term and the terms are OR-ed, so operators, quotes and column filters
 * in the input can never make the MATCH expression invalid. Returns null when no searchable word remains.
 * Stopwords are dropped: in an OR query "I", "the", "where" match nearly every turn, so ranking them
 * costs time (the whole story is scored) and adds nothing to relevance.
 */
export function toFtsQuery(text: string, maxTerms = 32): string | null {
  const terms = searchTerms(text, maxTerms);
  // Adjacent word pairs are phrases too: a turn saying "the copper key" outranks turns saying "copper" and "key" apart.
  const phrases = searchPhrases(text).map((p) => `"${p}"`);
  return terms.length ? [...terms.map((t) => `"${t}"`), ...phrases].join(' OR ') : null;
}

/** Pairs of content words that stand next to each other in the text (no stopword or punctuation between). */
export function searchPhrases(text: string, max = 12): string[] {
  const out = new Set<string>();
  for (const chunk of text.toLowerCase().split(/[^\p{L}\p{N}_\s]+/u)) {
    const words = chunk.split(/\s+/).filter(Boolean);
    for (let i = 0; i + 1 < words.length && out.size < max; i++) {
      const [a, b] = [words[i]!, words[i + 1]!];
      if (!STOPWORDS.has(a) && !STOPWORDS.has(b) && a.length > 1 && b.length > 1) out.add(`${a} ${b}`);
    }
  }
  return [...out];
}

/** Distinct lower-case words of the text without stopwords (or all words, if only stopwords remain). */
export function searchTerms(text: string, maxTerms = 32): string[] {
  const all: string[] = [];
  const seen = new Set<string>();
  for (const m of text.toLowerCase().matchAll(/[\p{L}\p{N}_]+/gu)) {
    const term = m[0];
    if (seen.has(term)) continue;
    seen.add(term);
    all.push(term);
    if (all.length >= maxTerms * 2) break;
  }
  const content = all.filter((t) => !STOPWORDS.has(t) && (t.length > 1 || /\d/.test(t)));
  return (content.length ? content : all).slice(0, maxTerms);
}

const STOPWORDS = new Set(
  ('a about above after again against all am an and any are as at be because been before being below between both but by ' +
    'can could did do does doing down during each few for from further had has have having he her here hers herself him ' +
    'himself his how i if in into is it its itself just let me more most my myself no nor not now of off on once only or ' +
    'other our ours ourselves out over own same she should so some such than that the their theirs them themselves then ' +
    'there these they this those through to too under until up very was we were what when where which while who whom why ' +
    'will with would you your yours yourself yourselves i\'m im let\'s ask asks asked tell tells told go goes went look looks')
    .split(/\s+/),
);
