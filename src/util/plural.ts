const IRREGULAR: Record<string, string> = { branch: 'branches', process: 'processes', entity: 'entities', summary: 'summaries', match: 'matches', copy: 'copies', was: 'were', is: 'are', has: 'have' };

/** "1 turn", "3 turns", "1 branch", "2 branches": the count and the word that agrees with it. */
export function plural(n: number, singular: string, pluralForm?: string): string {
  return `${n} ${pluralWord(n, singular, pluralForm)}`;
}

/** Just the word: "turn" for 1, "turns" otherwise (0 included, as English does). */
export function pluralWord(n: number, singular: string, pluralForm?: string): string {
  if (n === 1) return singular;
  return pluralForm ?? IRREGULAR[singular] ?? `${singular}s`;
}
