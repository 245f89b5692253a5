/**
 * How the packed context compares with the full history, in words that stay true either way: on a short
 * story the premise, entity sheets and lore can outweigh the few turns played, and "0.0% smaller" (the
 * clamped compression ratio) would claim a saving that is not there.
 */
export function describeContextSize(contextTokens: number, historyTokens: number): string {
  const sizes = `history ${historyTokens} tokens; context ${contextTokens} tokens`;
  if (historyTokens === 0) return `${sizes} (no turns played yet)`;
  if (contextTokens >= historyTokens) return `${sizes} (${contextTokens > historyTokens ? 'larger than' : 'as large as'} the history: the story is short)`;
  return `${sizes} (${((1 - contextTokens / historyTokens) * 100).toFixed(1)}% smaller)`;
}
