/** Lorebooks as the tools write them (field names, types and defaults of each format's own export). */

/** One SillyTavern World Info entry with every field its editor writes, at its defaults unless overridden. */
export function stEntry(uid: number, over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    uid, key: [], keysecondary: [], comment: '', content: '', constant: false, vectorized: false, selective: true, selectiveLogic: 0, addMemo: true,
    order: 100, position: 0, disable: false, excludeRecursion: false, preventRecursion: false, delayUntilRecursion: false, probability: 100,
    useProbability: true, depth: 4, group: '', groupOverride: false, groupWeight: 100, scanDepth: null, caseSensitive: null, matchWholeWords: null,
    useGroupScoring: null, automationId: '', role: null, sticky: 0, cooldown: 0, delay: 0, displayIndex: uid, ...over,
  };
}

export function stWorld(entries: Record<string, unknown>[]): { entries: Record<string, Record<string, unknown>> } {
  return { entries: Object.fromEntries(entries.map((e) => [String(e.uid), e])) };
}

export const SILLYTAVERN = stWorld([
  stEntry(0, { key: ['chapel', 'drowned chapel'], keysecondary: ['bell', 'tide'], selectiveLogic: 3, comment: 'The Drowned Chapel', content: 'Its bell rings at low tide.', order: 10 }),
  stEntry(1, { key: ['/korv[iy]n/i'], comment: 'Korvin', content: 'A thief with a silver tongue.', position: 1, probability: 50, excludeRecursion: true }),
  stEntry(2, { key: [], comment: 'World rules', content: 'Magic costs memories.', constant: true, position: 4, depth: 2 }),
  stEntry(3, { key: ['guild'], comment: 'Guild', content: 'Masons of the coast.', disable: true, preventRecursion: true, group: 'factions', sticky: 2, caseSensitive: true, matchWholeWords: false }),
  stEntry(4, { key: ['storm'], keysecondary: ['night'], selectiveLogic: 2, comment: '', content: 'Storms drown the lamps.', useProbability: false, probability: 5 }),
]);

export function novelAiEntry(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    text: '', contextConfig: { prefix: '', suffix: '\n', tokenBudget: 1, reservedTokens: 0, budgetPriority: 400, trimDirection: 'trimBottom', insertionType: 'newline', maximumTrimType: 'sentence', insertionPosition: -1 },
    lastUpdatedAt: 1700000000000, displayName: 'New Lorebook Entry', id: '7a1c9f1e-0000-4000-8000-000000000001', keys: [], searchRange: 1000, enabled: true,
    forceActivation: false, keyRelative: false, nonStoryActivatable: false, category: '', loreBiasGroups: [{ phrases: [], ensureSequenceFinish: false, generateOnce: true, bias: 0, enabled: true, whenInactive: false }],
    ...over,
  };
}

export const NOVELAI = {
  lorebookVersion: 5,
  entries: [
    novelAiEntry({ displayName: 'Maren Vale', keys: ['Maren', 'the keeper'], text: 'Keeper of the Harbour light.', contextConfig: { ...(novelAiEntry().contextConfig as object), budgetPriority: 600 } }),
    novelAiEntry({ displayName: 'The Sea', keys: [], text: 'Cold and grey.', forceActivation: true, searchRange: 4000, category: 'places' }),
  ],
  settings: { orderByKeyLocations: false },
  categories: [],
};

export const AI_DUNGEON = [
  { keys: 'Maren, keeper', value: 'Maren keeps the light.', type: 'character', title: 'Maren', description: 'Main character', useForCharacterCreation: false },
  { keys: 'harbour,port', value: 'The harbour freezes in winter.', type: 'location', title: 'Harbour', description: '', useForCharacterCreation: true },
];

export const CHARACTER_BOOK = {
  name: 'Harbour book',
  scan_depth: 5,
  recursive_scanning: true,
  extensions: {},
  entries: [
    { keys: ['lamp'], content: 'The lamp never goes out.', extensions: { selectiveLogic: 1, position: 2, probability: 80, useProbability: true, exclude_recursion: true }, enabled: true, insertion_order: 3, name: 'Lamp', priority: 250, secondary_keys: ['storm'], selective: true, position: 'before_char' },
    { keys: ['gulls?'], content: 'Gulls steal bread.', extensions: {}, enabled: false, insertion_order: 7, use_regex: true, case_sensitive: false, position: 'after_char', comment: 'birds' },
  ],
};
