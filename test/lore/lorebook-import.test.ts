import { describe, expect, it } from 'vitest';
import { parseLorebook, parseLorebookText } from '../../src/lore/import.js';
import { AI_DUNGEON, CHARACTER_BOOK, NOVELAI, SILLYTAVERN, stEntry, stWorld } from './fixtures.js';

const notesOf = (b: ReturnType<typeof parseLorebook>, n: number) => b.notes.filter((x) => x.entry === n).map((x) => x.note);

describe('lorebook formats', () => {
  it('reads SillyTavern World Info with its rules, and reports what LUNA keeps differently', () => {
    const b = parseLorebook(SILLYTAVERN, 'world.json');
    expect(b.format).toBe('sillytavern');
    expect(b.entries).toHaveLength(5);
    expect(b.entries[0]).toMatchObject({ title: 'The Drowned Chapel', keywords: ['chapel', 'drowned chapel'], secondaryKeys: ['bell', 'tide'], logic: 'and-all', order: 10, position: 'before', enabled: true });
    expect(b.entries[1]).toMatchObject({ title: 'Korvin', keywords: ['/korv[iy]n/i'], position: 'after', probability: 50, excludeRecursion: true });
    expect(b.entries[2]).toMatchObject({ title: 'World rules', constant: true, position: 'recent' });
    expect(notesOf(b, 3)).toEqual(['position @depth 2: placed just before the recent turns']);
    expect(b.entries[3]).toMatchObject({ enabled: false, preventRecursion: true, caseSensitive: true, wholeWords: false });
    expect(notesOf(b, 4)).toEqual(['inclusion group not supported (group: "factions")', 'sticky turns not supported (sticky: 2)']);
    // No comment: the first key names it (and says so by being unnamed); useProbability off means always.
    expect(b.entries[4]).toMatchObject({ title: 'storm', logic: 'not-any', probability: 100 });
    expect(notesOf(b, 1)).toEqual([]);
  });

  it('reads NovelAI lorebooks, AI Dungeon story cards and character books', () => {
    const nai = parseLorebook(NOVELAI, 'x.lorebook');
    expect(nai.format).toBe('novelai');
    expect(nai.entries).toEqual([
      expect.objectContaining({ title: 'Maren Vale', keywords: ['Maren', 'the keeper'], body: 'Keeper of the Harbour light.', priority: 50, constant: false }),
      expect.objectContaining({ title: 'The Sea', constant: true, comment: 'NovelAI category: places' }),
    ]);
    expect(notesOf(nai, 2)).toEqual(['searchRange 4000 not supported (LUNA scans the action and recent turns)', 'category "places" kept in the comment']);

    const aid = parseLorebook(AI_DUNGEON, 'cards.json');
    expect(aid.format).toBe('aidungeon');
    expect(aid.entries[0]).toMatchObject({ title: 'Maren', keywords: ['Maren', 'keeper'], body: 'Maren keeps the light.', comment: 'AI Dungeon type: character\nMain character' });
    expect(notesOf(aid, 2)).toEqual(['"use for character creation" not supported']);

    const cb = parseLorebook(CHARACTER_BOOK, 'book.json');
    expect(cb.format).toBe('character-book');
    expect(cb.entries[0]).toMatchObject({ title: 'Lamp', secondaryKeys: ['storm'], logic: 'not-all', position: 'recent', probability: 80, excludeRecursion: true, priority: 100, order: 3 });
    expect(cb.entries[1]).toMatchObject({ title: 'birds', keywords: ['/gulls?/i'], enabled: false, position: 'after' });
    const numeric = parseLorebook({ entries: [{ keys: ['a'], content: 'x', extensions: {}, enabled: true, insertion_order: 1, position: 1 }] }, 'n.json');
    expect(numeric.entries[0]).toMatchObject({ position: 'after' });
    expect(() => parseLorebook({ entries: [{ keys: ['a'], content: 'x', extensions: {}, enabled: true, insertion_order: 1, position: 'middle' }] }, 'n.json'))
      .toThrow('lorebook entry 1: "position" must be "before_char" or "after_char", found "middle"');
    expect(notesOf(cb, 1)).toEqual([
      'book scan depth 5 not supported (LUNA scans the action and recent turns)',
      'priority 250 clamped to 100 (LUNA\'s range is -100…100)',
    ]);
  });

  it('refuses bad input with one line each', () => {
    const err = (f: () => unknown) => { try { f(); } catch (e) { return (e as Error).message; } throw new Error('no error'); };
    expect(err(() => parseLorebookText('{"entries": {"0": {"uid": 0, "key": ["a"], "content": "tru', 'cut.json'))).toMatch(/^cut\.json is not valid JSON \(it looks cut short/);
    expect(err(() => parseLorebook(stWorld([stEntry(0, { key: 'chapel' })]), 'w.json'))).toBe('entry 1 (uid 0): "key" must be a list of words, found "chapel"');
    expect(err(() => parseLorebook(stWorld([stEntry(0, { key: ['a'], probability: 'high' })]), 'w.json'))).toBe('entry 1 (uid 0): "probability" must be a number, found "high"');
    expect(err(() => parseLorebook(stWorld([stEntry(0, { key: ['a'], selectiveLogic: 9 })]), 'w.json'))).toBe('entry 1 (uid 0): "selectiveLogic" must be 0–3, found 9');
    expect(err(() => parseLorebook(stWorld([stEntry(0, { key: ['/[a-/'] , comment: 'Bad' })]), 'w.json'))).toMatch(/^w\.json: entry 1 "Bad": keywords\.0: key \/\[a-\/ is not a valid regular expression/);
    const big = stWorld(Array.from({ length: 10_000 }, (_, i) => stEntry(i, { key: [`k${i}`], comment: `E${i}`, content: 'x' })));
    expect(err(() => parseLorebook(big, 'big.json'))).toBe('big.json has 10,000 entries; LUNA imports at most 5,000 from one file');
    expect(err(() => parseLorebook(stWorld([stEntry(0, { comment: 'Chapel' }), stEntry(1, { comment: 'chapel' })]), 'd.json'))).toBe('d.json: entry 2 "chapel" is also the name of entry 1');
    expect(err(() => parseLorebook(AI_DUNGEON, 'c.json', { existingTitles: ['Harbour'] }))).toBe('c.json: entry 2 "Harbour" is already in the story\'s lore');
    expect(err(() => parseLorebook({ hello: 'world' }, 'x.json'))).toMatch(/^x\.json is not a lorebook LUNA reads/);
    expect(err(() => parseLorebook([1, 2], 'x.json'))).toMatch(/^x\.json is not a lorebook LUNA reads/);
  });

  it('numbers duplicates when asked, and always for names it made up', () => {
    const b = parseLorebook(stWorld([stEntry(0, { comment: 'Chapel', key: ['a'] }), stEntry(1, { comment: 'Chapel', key: ['b'] })]), 'd.json', { allowDuplicates: true });
    expect(b.entries.map((e) => e.title)).toEqual(['Chapel', 'Chapel (2)']);
    expect(b.notes).toEqual([{ entry: 2, title: 'Chapel (2)', note: 'renamed "Chapel" to "Chapel (2)": another entry has that name' }]);
    const unnamed = parseLorebook(stWorld([stEntry(0, { key: ['tide'] }), stEntry(1, { key: ['tide', 'sea'] })]), 'u.json');
    expect(unnamed.entries.map((e) => e.title)).toEqual(['tide', 'tide (2)']);
  });
});
