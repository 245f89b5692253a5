import { describe, expect, it } from 'vitest';
import { loreRoll, matchLore, regexKeyProblem } from '../../src/pipeline/lore-match.js';
import { LORE_DEFAULTS, type LoreEntry } from '../../src/store/types.js';

let n = 0;
function entry(over: Partial<LoreEntry> & { title: string }): LoreEntry {
  return { ...LORE_DEFAULTS, id: `e${++n}`, storyId: 's', keywords: [], body: '', constant: false, ...over };
}
const run = (lore: LoreEntry[], action: string, context = '', maxRecursion = 3, seed = 'seed') => matchLore(lore, { action, context, seed, maxRecursion });
const titles = (m: ReturnType<typeof run>) => m.triggered.map((t) => t.entry.title);

describe('lore matching like World Info', () => {
  it('applies the four selective logics to secondary keys', () => {
    const mk = (logic: LoreEntry['logic']) => entry({ title: logic, keywords: ['chapel'], secondaryKeys: ['bell', 'tide'], logic });
    const lore = (['and-any', 'and-all', 'not-any', 'not-all'] as const).map(mk);
    expect(titles(run(lore, 'I enter the chapel'))).toEqual(['not-any', 'not-all']);
    expect(titles(run(lore, 'I ring the chapel bell'))).toEqual(['and-any', 'not-all']);
    expect(titles(run(lore, 'the chapel bell rings at low tide'))).toEqual(['and-any', 'and-all']);
    // The secondary keys may be anywhere in the scanned text, the recent turns included.
    expect(titles(run(lore, 'I enter the chapel', 'The tide was out. A bell rang.'))).toEqual(['and-any', 'and-all']);
    const why = run(lore, 'I ring the chapel bell').triggered[0]!;
    expect(why).toMatchObject({ via: 'action', key: 'chapel', secondary: 'and any: "bell"' });
  });

  it('matches regex keys with their own flags, case-sensitive and whole-word keys as told', () => {
    const lore = [
      entry({ title: 'rx', keywords: ['/dragon(s|kin)?\\b/i'] }),
      entry({ title: 'case', keywords: ['Rose'], caseSensitive: true }),
      entry({ title: 'partial', keywords: ['art'], wholeWords: false }),
      entry({ title: 'whole', keywords: ['art'] }),
    ];
    expect(titles(run(lore, 'The DRAGONKIN gather at the party'))).toEqual(['rx', 'partial']);
    expect(titles(run(lore, 'a rose for Rose; her art'))).toEqual(['case', 'partial', 'whole']);
    expect(titles(run(lore, 'a rose, no capital'))).toEqual([]);
    expect(regexKeyProblem('/([a-z/')).toMatch(/not a valid regular expression/);
    expect(regexKeyProblem('/ok/i')).toBeNull();
    expect(regexKeyProblem('plain words')).toBeNull();
    // Exponential backtracking on a line of player text would stall every turn: refused up front.
    for (const bad of ['/(a+)+$/', '/(\\w*)*x/', '/(x|y+){2,}/', '/((ab)*c)+/']) expect(regexKeyProblem(bad), bad).toMatch(/repeats a group that itself repeats/);
    for (const ok of ['/(ab)+/', '/[(+]+/', '/\\(a+\\)+/', '/(?:dragon)s?/', '/a{2,3}(bc)*/']) expect(regexKeyProblem(ok), ok).toBeNull();
  });

  it('skips disabled entries, always includes constant ones, and falls back to the title as the key', () => {
    const lore = [entry({ title: 'Off', keywords: ['gate'], enabled: false }), entry({ title: 'Rules', constant: true }), entry({ title: 'Korvin' })];
    expect(titles(run(lore, 'Korvin opens the gate'))).toEqual(['Rules', 'Korvin']);
  });

  it('indexes a lore array once and a new one (a new revision) anew: the same answers either way', () => {
    const first = [entry({ title: 'Gate', keywords: ['gate'] }), entry({ title: 'Rules', constant: true }), entry({ title: 'rx', keywords: ['/ferr(y|ies)/i'] })];
    expect(titles(run(first, 'I open the gate by the ferry'))).toEqual(['Rules', 'Gate', 'rx']);
    expect(titles(run(first, 'I open the gate by the ferry'))).toEqual(['Rules', 'Gate', 'rx']);
    // The next revision: the gate entry disabled, a constant one off, a new key; the old array still answers as before.
    const next = [{ ...first[0]!, enabled: false }, { ...first[1]!, constant: false }, first[2]!, entry({ title: 'Ferry', keywords: ['ferry'] })];
    expect(titles(run(next, 'I open the gate by the ferry'))).toEqual(['rx', 'Ferry']);
    expect(titles(run(first, 'I open the gate by the ferry'))).toEqual(['Rules', 'Gate', 'rx']);
  });

  it('recurses through entry text, bounded, honouring exclude and prevent recursion', () => {
    const a = entry({ title: 'Chapel', keywords: ['chapel'], body: 'Its bell was cast by the Guild.' });
    const b = entry({ title: 'Guild', keywords: ['guild'], body: 'The Guild answers to the Tidewarden.' });
    const c = entry({ title: 'Tidewarden', keywords: ['tidewarden'], body: 'She rules the chapel.' });
    const m = run([a, b, c], 'I walk to the chapel');
    expect(m.triggered.map((t) => [t.entry.title, t.via, t.step, t.from])).toEqual([
      ['Chapel', 'action', 0, undefined], ['Guild', 'recursion', 1, 'Chapel'], ['Tidewarden', 'recursion', 2, 'Guild'],
    ]);
    expect(titles(run([a, b, c], 'I walk to the chapel', '', 1))).toEqual(['Chapel', 'Guild']);
    expect(titles(run([a, b, c], 'I walk to the chapel', '', 0))).toEqual(['Chapel']);
    expect(titles(run([{ ...a, preventRecursion: true }, b, c], 'I walk to the chapel'))).toEqual(['Chapel']);
    expect(titles(run([a, { ...b, excludeRecursion: true }, c], 'I walk to the chapel'))).toEqual(['Chapel']);
    // A cycle (the Tidewarden's text names the chapel again) ends: each entry is triggered once.
    expect(run([a, b, c], 'chapel', '', 10).triggered).toHaveLength(3);
  });

  it('rolls probability from the seed: the same turn rolls the same, and about p% of turns pass', () => {
    const e = entry({ title: 'Elder God', keywords: ['god'], probability: 30 });
    const first = run([e], 'a god stirs', '', 3, 'story:turn-7');
    for (let i = 0; i < 5; i++) expect(run([e], 'a god stirs', '', 3, 'story:turn-7')).toEqual(first);
    let passed = 0;
    for (let i = 0; i < 2000; i++) if (run([e], 'a god stirs', '', 3, `story:turn-${i}`).triggered.length) passed++;
    expect(passed / 2000).toBeGreaterThan(0.26);
    expect(passed / 2000).toBeLessThan(0.34);
    const missed = [...Array(50).keys()].map((i) => run([e], 'a god stirs', '', 3, `s:${i}`)).find((m) => m.missed.length)!;
    expect(missed.missed[0]).toMatchObject({ reason: 'probability', key: 'god' });
    expect(missed.missed[0]!.roll).toBeGreaterThanOrEqual(30);
    expect(loreRoll('a', 'x')).not.toBe(loreRoll('b', 'x'));
    expect(run([{ ...e, probability: 0 }], 'god').triggered).toEqual([]);
  });

  it('orders by strength, then priority', () => {
    const lore = [
      entry({ title: 'ctx-low', keywords: ['harbour'] }),
      entry({ title: 'ctx-high', keywords: ['harbour'], priority: 50 }),
      entry({ title: 'act', keywords: ['lamp'] }),
    ];
    expect(titles(run(lore, 'I light the lamp', 'at the harbour'))).toEqual(['act', 'ctx-high', 'ctx-low']);
  });
});
