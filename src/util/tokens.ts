/**
 * Fast token estimate for budgeting when no tokenizer is at hand. Calibrated against BPE tokenizers
 * (Llama-2/Claude/GPT): ~1 token per short word, extra for long words, digits and punctuation.
 * Budgets use it on the hot path, so it must stay allocation-free and O(n).
 */
export function estimateTokens(text: string): number {
  let tokens = 0;
  let wordLen = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const isWordChar = (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 39 || c > 127;
    if (isWordChar) {
      wordLen++;
      continue;
    }
    if (wordLen) {
      tokens += wordLen <= 6 ? 1 : Math.ceil(wordLen / 5);
      wordLen = 0;
    }
    if (c === 32 || c === 10 || c === 9 || c === 13) continue;
    tokens += 1; // digits, punctuation, symbols: roughly one each
  }
  if (wordLen) tokens += wordLen <= 6 ? 1 : Math.ceil(wordLen / 5);
  return tokens;
}

/** Cuts text to at most maxTokens (by the same estimate), at a word boundary, marking the cut. */
export function truncateToTokens(text: string, maxTokens: number): string {
  if (maxTokens <= 0) return '';
  if (estimateTokens(text) <= maxTokens) return text;
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (estimateTokens(text.slice(0, mid)) + 1 <= maxTokens) lo = mid;
    else hi = mid - 1;
  }
  const cut = text.slice(0, lo);
  const space = cut.lastIndexOf(' ');
  return `${space > lo * 0.6 ? cut.slice(0, space) : cut}…`;
}
