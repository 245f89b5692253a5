/**
 * Turns arbitrary user text (an action like `Ask "why?" -- NOT now!`) into a safe FTS5 query:
 * every word becomes a quoted term and the terms are OR-ed, so operators, quotes and column filters
 * in the input can never make the MATCH expression invalid. Returns null when no searchable word remains.
 */
export function toFtsQuery(text: string, maxTerms = 32): string | null {
  const seen = new Set<string>();
  for (const m of text.toLowerCase().matchAll(/[\p{L}\p{N}_]+/gu)) {
    const term = m[0];
    if (seen.has(term)) continue;
    seen.add(term);
    if (seen.size >= maxTerms) break;
  }
  if (seen.size === 0) return null;
  return [...seen].map((t) => `"${t}"`).join(' OR ');
}
