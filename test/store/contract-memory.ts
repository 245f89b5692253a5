import { describe, expect, it } from 'vitest';
import { LunaError } from '../../src/errors.js';
import { withBranchCache } from '../../src/store/branch-cache.js';
import type { StoryBundle } from '../../src/store/types.js';
import type { ContractContext } from './contract.js';
import { addTurn, chain, cosine, ledgerRow, rng } from './fixtures.js';

export function memoryContract({ store }: ContractContext): void {
  describe('memory', () => {
    it('merges entities by case-insensitive name or alias and keeps aliases', async () => {
      const s = store();
      const st = await s.createStory({ title: 'T', premise: 'P' });
      const t1 = await addTurn(s, st.id, 'meet', 'You meet Mira.', { entities: [{ name: 'Mira', kind: 'character', aliases: ['the captain'] }] });
      await addTurn(s, st.id, 'talk', 'The Captain nods.', {
        entities: [{ name: 'The Captain', kind: 'other', aliases: ['Mira Vance'], description: 'Scarred veteran' }, { name: 'Harbor', kind: 'place' }],
      });
      await addTurn(s, st.id, 'wave', 'MIRA waves.', { entities: [{ name: 'MIRA', kind: 'character' }] });
      const ents = await s.listEntities(st.id);
      expect(ents.map((e) => e.name)).toEqual(['Mira', 'Harbor']);
      const mira = ents[0]!;
      expect(mira.aliases.map((a) => a.toLowerCase()).sort()).toEqual(['mira vance', 'the captain']);
      expect(mira.kind).toBe('character');
      expect(mira.description).toBe('Scarred veteran');
      expect(mira.firstTurnId).toBe(t1.id);
      await s.upsertEntities(st.id, null, [{ id: mira.id, name: 'Captain Vance', kind: 'character' }], [{ entityName: 'captain vance', key: 'rank', value: 'captain' }]);
      const again = (await s.listEntities(st.id))[0]!;
      expect(again.aliases).toContain('Captain Vance');
      expect((await s.listFacts(st.id)).map((f) => [f.entityId, f.key, f.value])).toEqual([[mira.id, 'rank', 'captain']]);
    });

    it('orders facts along depth regardless of insertion order', async () => {
      const s = store();
      const st = await s.createStory({ title: 'T', premise: 'P' });
      const turns = await chain(s, st.id, 3);
      await s.upsertEntities(st.id, turns[2]!.id, [{ name: 'Ash', kind: 'character', aliases: ['the smith'] }], [{ entityName: 'Ash', key: 'sword', value: 'reforged' }]);
      await s.upsertEntities(st.id, turns[0]!.id, [], [{ entityName: 'THE SMITH', key: 'sword', value: 'broken' }]);
      await s.upsertEntities(st.id, null, [], [{ entityName: 'ash', key: 'origin', value: 'north' }]);
      const facts = await s.listFacts(st.id);
      expect(facts.map((f) => [f.depth, f.value])).toEqual([[0, 'north'], [1, 'broken'], [3, 'reforged']]);
      expect(facts[1]!.turnId).toBe(turns[0]!.id);
      expect(facts[0]!.turnId).toBeNull();
      await expect(s.upsertEntities(st.id, null, [], [{ entityName: 'Nobody', key: 'k', value: 'v' }])).rejects.toBeInstanceOf(LunaError);
      expect(await s.listFacts(st.id)).toHaveLength(3);
    });

    it('stores lore and arc summaries', async () => {
      const s = store();
      const st = await s.createStory({ title: 'T', premise: 'P' });
      const turns = await chain(s, st.id, 4);
      const l = await s.addLore(st.id, { title: 'Magic', keywords: ['mana', 'rune'], body: 'Runes cost blood.', constant: true });
      await s.addLore(st.id, { title: 'Town', keywords: [], body: 'Quiet.', constant: false });
      expect(await s.listLore(st.id)).toEqual([l, expect.objectContaining({ title: 'Town', constant: false, keywords: [] })]);
      const arc = await s.addArcSummary({ storyId: st.id, toTurnId: turns[3]!.id, fromDepth: 1, toDepth: 4, kind: 'arc', summary: 'They crossed.' });
      expect(arc.id).toBeTruthy();
      expect(await s.listArcSummaries(st.id)).toEqual([arc]);
      await expect(s.addArcSummary({ storyId: st.id, toTurnId: 'missing', fromDepth: 1, toDepth: 2, kind: 'arc', summary: 'x' })).rejects.toBeInstanceOf(LunaError);
    });

    it('measures history size of one branch plus lore', async () => {
      const s = store();
      const st = await s.createStory({ title: 'T', premise: 'P' });
      const main = await chain(s, st.id, 4, 'main');
      await s.setHead(st.id, main[1]!.id);
      const side = await addTurn(s, st.id, 'a much longer side action', 'and a much longer side prose paragraph');
      await s.addLore(st.id, { title: 'World', keywords: [], body: 'Rules of the world.', constant: true });
      const size = await s.historySize(st.id, main[3]!.id);
      expect(size.turns).toBe(4);
      expect(size.chars).toBe(main.reduce((n, t) => n + t.action.length + t.prose.length, 0));
      expect(size.loreChars).toBeGreaterThanOrEqual('Rules of the world.'.length);
      const sideSize = await s.historySize(st.id, side.id);
      expect(sideSize.turns).toBe(3);
      expect(sideSize.chars).toBe([main[0]!, main[1]!, side].reduce((n, t) => n + t.action.length + t.prose.length, 0));
      expect(await s.historySize(st.id, null)).toEqual({ turns: 0, chars: 0, loreChars: size.loreChars });
    });

    it('reads the story memory at once, record for record as the separate reads, through the branch cache too', async () => {
      const s = store();
      const st = await s.createStory({ title: 'T', premise: 'P' });
      const other = await s.createStory({ title: 'O', premise: 'P' });
      const empty = { entities: [], facts: [], lore: [], arcs: [], size: { turns: 0, chars: 0, loreChars: 0 }, loreRev: 0 };
      expect(await s.storyMemory(st.id, null)).toEqual(empty);
      const turns = await chain(s, st.id, 3);
      await addTurn(s, st.id, 'meet', 'You meet Mira.', { entities: [{ name: 'Mira', kind: 'character', aliases: ['the captain'], description: 'Scarred' }, { name: 'Harbor', kind: 'place' }],
        facts: [{ entityName: 'Mira', key: 'rank', value: 'captain' }] });
      await s.upsertEntities(st.id, turns[0]!.id, [], [{ entityName: 'the captain', key: 'ship', value: 'Gull' }]);
      await s.addLore(st.id, { title: 'Magic', keywords: ['mana', 'rune'], body: 'Runes cost blood.', constant: true, secondaryKeys: ['ink'], probability: 50 });
      await s.addLore(st.id, { title: 'Town', keywords: [], body: 'Quiet.', constant: false });
      await s.addArcSummary({ storyId: st.id, toTurnId: turns[2]!.id, fromDepth: 1, toDepth: 3, kind: 'arc', summary: 'They crossed.' });
      await s.addArcSummary({ storyId: st.id, toTurnId: turns[1]!.id, fromDepth: 1, toDepth: 2, kind: 'story', summary: 'So far.' });
      await addTurn(s, other.id, 'x', 'y', { entities: [{ name: 'Elsewhere', kind: 'place' }] });
      await s.addLore(other.id, { title: 'Other', keywords: [], body: 'Not here.', constant: true });
      const head = turns[1]!.id;
      const separate = async (h: string | null) => ({
        entities: await s.listEntities(st.id), facts: await s.listFacts(st.id), lore: await s.listLore(st.id), arcs: await s.listArcSummaries(st.id),
        size: await s.historySize(st.id, h), loreRev: expect.any(Number),
      });
      const want = await separate(head);
      expect(want.facts).toHaveLength(2);
      expect(want.size.turns).toBe(2);
      expect(await s.storyMemory(st.id, head)).toEqual(want);
      expect(await s.storyMemory(st.id, null)).toEqual(await separate(null));
      // The heads the store itself is asked to measure (a walk of the branch on SQLite).
      const measured: (string | null)[] = [];
      const cached = withBranchCache(new Proxy(s, {
        get(target, prop) {
          const v = Reflect.get(target, prop, target) as unknown;
          if (prop === 'storyMemory') return (id: string, h: string | null, o?: { knownLoreRev?: number }) => (measured.push(h), target.storyMemory(id, h, o));
          return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
        },
      }));
      // Twice: the first read measures the branch, the second takes its size from the cache.
      expect(await cached.storyMemory(st.id, head)).toEqual(want);
      expect(await cached.storyMemory(st.id, head)).toEqual(want);
      // The next turn (a new head, as after every turn played) is its parent's size plus itself, with no walk.
      expect(await cached.storyMemory(st.id, turns[2]!.id)).toEqual(await separate(turns[2]!.id));
      expect(measured).toEqual([head, null, null]);
      expect(await cached.getBranchIds(st.id, head)).toEqual([turns[0]!.id, head]);
      expect(await cached.getBranch(st.id, head, { limit: 1 })).toEqual(await s.getBranch(st.id, head, { limit: 1 }));
      expect(await cached.getBranch(st.id, head, { limit: 5 })).toEqual(await s.getBranch(st.id, head));
      expect(await cached.getBranch(st.id, head, { limit: 0 })).toEqual([]);
    });
  });

  describe('lore revision', () => {
    it('moves on with every lore write, and a reader holding the current one is not sent the lore again', async () => {
      const s = store();
      const st = await s.createStory({ title: 'T', premise: 'P' });
      const other = await s.createStory({ title: 'O', premise: 'P' });
      const [t1] = await chain(s, st.id, 2);
      const revs: number[] = [(await s.storyMemory(st.id, null)).loreRev];
      const rev = async () => (await s.storyMemory(st.id, null)).loreRev;
      const a = await s.addLore(st.id, { title: 'Harbour', body: 'Salt and tar.', keywords: ['harbour'] });
      revs.push(await rev());
      await s.importLore(st.id, [{ title: 'Bell', body: 'It rings at dusk.', keywords: ['bell'] }, { title: 'Gate', body: 'Iron.', keywords: ['gate'] }]);
      revs.push(await rev());
      await s.updateLore(st.id, a.id, { body: 'Salt, tar and gulls.' });
      revs.push(await rev());
      const otherBefore = (await s.storyMemory(other.id, null)).loreRev;
      expect(await s.deleteLore(st.id, a.id)).toBe(true);
      revs.push(await rev());
      for (let i = 1; i < revs.length; i++) expect(revs[i]).toBeGreaterThan(revs[i - 1]!);
      expect((await s.storyMemory(other.id, null)).loreRev).toBe(otherBefore);

      const full = await s.storyMemory(st.id, t1!.id);
      expect(full.loreUnchanged).toBeUndefined();
      expect(full.lore.map((l) => l.title)).toEqual(['Bell', 'Gate']);
      const same = await s.storyMemory(st.id, t1!.id, { knownLoreRev: full.loreRev });
      expect(same).toMatchObject({ loreUnchanged: true, lore: [], loreRev: full.loreRev, size: { turns: full.size.turns, chars: full.size.chars, loreChars: 0 } });
      expect(same.entities).toEqual(full.entities);
      const stale = await s.storyMemory(st.id, t1!.id, { knownLoreRev: full.loreRev - 1 });
      expect(stale).toEqual(full);
      // The story goes with its lore; the other keeps its own.
      expect(await s.deleteStory(st.id)).toBe(true);
      expect((await s.storyMemory(other.id, null)).loreRev).toBe(otherBefore);
    });

    it('a store that keeps the lore it read sees another process\'s lore edit on its next read', async () => {
      const s = store();
      const cached = withBranchCache(s);
      const st = await s.createStory({ title: 'T', premise: 'P' });
      const [t1] = await chain(s, st.id, 1);
      const bell = await s.addLore(st.id, { title: 'Bell', body: 'It rings at dusk.', keywords: ['bell'] });
      const first = await cached.storyMemory(st.id, t1!.id);
      expect(first.lore.map((l) => l.body)).toEqual(['It rings at dusk.']);
      expect((await cached.storyMemory(st.id, t1!.id)).lore).toBe(first.lore); // the same entries, not read again
      await s.updateLore(st.id, bell.id, { body: 'It rings at dawn.' }); // not through the cached store
      const next = await cached.storyMemory(st.id, t1!.id);
      expect(next.lore.map((l) => l.body)).toEqual(['It rings at dawn.']);
      expect(next.size.loreChars).toBe('Bell'.length + 'It rings at dawn.'.length);
      expect((await cached.storyMemory(st.id, t1!.id)).size.loreChars).toBe(next.size.loreChars);
    });
  });

  describe('search', () => {
    it('finds a planted word with BM25, best match first, within the story only, for any query text', async () => {
      const s = store();
      const st = await s.createStory({ title: 'T', premise: 'P' });
      const other = await s.createStory({ title: 'O', premise: 'P' });
      const r = rng(7);
      const words = ['river', 'stone', 'lantern', 'road', 'mist', 'forest', 'tower', 'ember'];
      const filler = () => Array.from({ length: 12 }, () => words[Math.floor(r() * words.length)]).join(' ');
      for (let i = 0; i < 30; i++) await addTurn(s, st.id, `walk ${i}`, filler());
      const planted = await addTurn(s, st.id, 'open the chest', `Inside lies the zephyrquill, humming. ${filler()}`);
      const both = await addTurn(s, st.id, 'ask about the zephyrquill', 'The zephyrquill glows near the obsidian gate.');
      for (let i = 0; i < 5; i++) await addTurn(s, st.id, `rest ${i}`, filler());
      await addTurn(s, other.id, 'zephyrquill elsewhere', 'zephyrquill zephyrquill');
      const hits = await s.searchTurns(st.id, 'Where is the Zephyrquill?', 10);
      expect(hits.map((h) => h.turnId).sort()).toEqual([planted.id, both.id].sort());
      for (let i = 1; i < hits.length; i++) expect(hits[i - 1]!.score).toBeGreaterThanOrEqual(hits[i]!.score);
      const top = await s.searchTurns(st.id, 'zephyrquill obsidian', 5);
      expect(top[0]?.turnId).toBe(both.id);
      for (const q of ['"unbalanced', 'NOT AND OR', 'a* (b) c:d -e +f ^g', 'NEAR(x y)', "it's ~!@#$%^&*()"]) {
        await expect(s.searchTurns(st.id, q, 5)).resolves.toBeInstanceOf(Array);
      }
      expect(await s.searchTurns(st.id, '  ?! ', 5)).toEqual([]);
      expect(await s.searchTurns(st.id, 'zephyrquill', 1)).toHaveLength(1);
    });

    it('reads passage turns with the end of the parent\'s prose and the start of each child\'s, and searches with them', async () => {
      const s = store();
      const st = await s.createStory({ title: 'T', premise: 'P' });
      const other = await s.createStory({ title: 'O', premise: 'P' });
      // Over 600 characters, with letters outside ASCII: both dialects cut by characters, as JavaScript code points.
      const long = Array.from({ length: 30 }, (_, i) => `Sentence ${i} of the naïve café — wet cobbles.`).join(' ');
      const t1 = await addTurn(s, st.id, 'walk', long);
      const t2 = await addTurn(s, st.id, 'look', 'She hides the zephyrquill in the well.');
      const t2b = await addTurn(s, st.id, 'other take', 'The zephyrquill stays in her coat.', { parentId: t1.id });
      const t3 = await addTurn(s, st.id, 'go on', `Later she returns. ${long}`, { parentId: t2.id });
      const [o1] = await chain(s, other.id, 1);

      const read = await s.getPassageTurns(st.id, [t2.id, o1!.id, t1.id, t2.id, 'no-such-turn']);
      expect(read.map((p) => p.turn.id)).toEqual([t2.id, t1.id]);
      const [p2, p1] = read;
      expect(p2!.turn).toEqual(t2);
      expect(p2!.parentTail).toEqual({ text: [...long].slice(-600).join(''), whole: false });
      expect(p2!.children).toEqual([{ id: t3.id, text: [...t3.prose].slice(0, 600).join(''), whole: false }]);
      expect(p1!.parentTail).toBeNull();
      expect(p1!.children).toEqual([{ id: t2.id, text: t2.prose, whole: true }, { id: t2b.id, text: t2b.prose, whole: true }]);
      expect((await s.getPassageTurns(st.id, [t3.id]))[0]!.parentTail).toEqual({ text: t2.prose, whole: true });
      expect(await s.getPassageTurns(st.id, [])).toEqual([]);

      // The same hits as searchTurns; the first `read` of them come with their passage turns.
      const hits = await s.searchTurns(st.id, 'zephyrquill', 10);
      expect(hits.map((h) => h.turnId).sort()).toEqual([t2.id, t2b.id].sort());
      const found = await s.searchPassages(st.id, 'zephyrquill', 10, 1);
      expect(found.hits).toEqual(hits);
      expect(found.turns).toEqual(await s.getPassageTurns(st.id, [hits[0]!.turnId]));
      expect((await s.searchPassages(st.id, 'zephyrquill', 10, 5)).turns.map((p) => p.turn.id)).toEqual(hits.map((h) => h.turnId));
      expect(await s.searchPassages(st.id, '  ?! ', 10, 5)).toEqual({ hits: [], turns: [] });
      // Turns asked for beside the hits (where facts were recorded) come in the same read, when there are hits.
      expect((await s.searchPassages(st.id, 'zephyrquill', 10, 0, [t3.id, o1!.id])).turns).toEqual(await s.getPassageTurns(st.id, [t3.id]));
      expect(await s.searchPassages(st.id, 'nowhere', 10, 5, [t3.id])).toEqual({ hits: [], turns: [] });
      expect(await s.searchPassages(other.id, 'zephyrquill', 10, 5)).toEqual({ hits: [], turns: [] });
    });

    it('ranks embeddings by cosine similarity within the story and dimension', async () => {
      const s = store();
      const st = await s.createStory({ title: 'T', premise: 'P' });
      const other = await s.createStory({ title: 'O', premise: 'P' });
      expect(await s.searchEmbeddings(st.id, new Float32Array([1, 0, 0]), 3)).toEqual([]);
      const turns = await chain(s, st.id, 6);
      const r = rng(3);
      const vecs = turns.map(() => Float32Array.from({ length: 8 }, () => r() - 0.5));
      for (let i = 0; i < turns.length; i++) await s.putEmbedding(turns[i]!.id, st.id, vecs[i]!);
      const [o1] = await chain(s, other.id, 1);
      await s.putEmbedding(o1!.id, other.id, vecs[2]!);
      await s.putEmbedding(turns[5]!.id, st.id, Float32Array.from({ length: 8 }, () => r() - 0.5)); // replaces
      vecs[5] = undefined as never;
      const [odd] = await chain(s, st.id, 1, 'odd');
      await s.putEmbedding(odd!.id, st.id, new Float32Array([1, 2, 3])); // another model's dimension
      const q = vecs[2]!.map((x, i) => x + (i === 0 ? 0.01 : 0));
      const hits = await s.searchEmbeddings(st.id, q, 3);
      expect(hits).toHaveLength(3);
      expect(hits[0]!.turnId).toBe(turns[2]!.id);
      const expected = turns.slice(0, 5).map((t, i) => ({ id: t.id, sim: cosine(q, vecs[i]!) }));
      for (const h of hits) {
        const e = expected.find((x) => x.id === h.turnId);
        if (e) expect(h.score).toBeCloseTo(e.sim, 4);
      }
      for (let i = 1; i < hits.length; i++) expect(hits[i - 1]!.score).toBeGreaterThanOrEqual(hits[i]!.score);
      expect(hits.map((h) => h.turnId)).not.toContain(o1!.id);
      expect((await s.searchEmbeddings(st.id, new Float32Array([1, 2, 3]), 5)).map((h) => h.turnId)).toEqual([odd!.id]);
    });

    it('keeps one image prompt per turn, replaced on re-run', async () => {
      const s = store();
      const st = await s.createStory({ title: 'T', premise: 'P' });
      const [a, b, c] = await chain(s, st.id, 3);
      await s.saveImagePrompt(a!.id, 'a misty harbor');
      await s.saveImagePrompt(b!.id, 'first');
      await s.saveImagePrompt(b!.id, 'second');
      expect(await s.getImagePrompts([a!.id, b!.id, c!.id])).toEqual({ [a!.id]: 'a misty harbor', [b!.id]: 'second' });
      expect(await s.getImagePrompts([])).toEqual({});
    });
  });

  describe('import and delete', () => {
    const bundle: StoryBundle = {
      title: 'Imported', premise: 'A port town', style: 'gothic',
      lore: [{ title: 'Tides', keywords: ['tide'], body: 'The tide never sleeps.', constant: true }],
      entities: [{ name: 'Odo', kind: 'character', aliases: ['the ferryman'], description: 'Old', facts: [{ key: 'boat', value: 'leaky', turn: 3 }, { key: 'age', value: '70' }] }],
      turns: [1, 2, 3, 4, 5].map((i) => ({ action: `main action ${i}`, prose: `main prose ${i}` })),
      branches: [
        { from: 2, turns: [{ action: 'side a', prose: 'side prose with marmalade' }, { action: 'side b', prose: 'side prose b' }] },
        { from: 0, turns: [{ action: 'alt start', prose: 'another beginning' }] },
      ],
    };

    it('imports a bundle with branches, entities, facts and lore, and indexes it', async () => {
      const s = store();
      const st = await s.importStory(bundle);
      expect(st.style).toBe('gothic');
      const main = await s.getBranch(st.id, st.headTurnId);
      expect(main.map((t) => t.action)).toEqual(bundle.turns.map((t) => t.action));
      expect(main.map((t) => t.depth)).toEqual([1, 2, 3, 4, 5]);
      expect(await s.countTurns(st.id)).toBe(8);
      const leaves = await s.listLeaves(st.id);
      expect(leaves).toHaveLength(3);
      const sideB = leaves.find((t) => t.action === 'side b')!;
      expect((await s.getBranch(st.id, sideB.id)).map((t) => t.action)).toEqual(['main action 1', 'main action 2', 'side a', 'side b']);
      expect(sideB.depth).toBe(4);
      expect((await s.getChildren(null, st.id)).map((t) => t.action).sort()).toEqual(['alt start', 'main action 1']);
      const [odo] = await s.listEntities(st.id);
      expect(odo).toMatchObject({ name: 'Odo', kind: 'character', aliases: ['the ferryman'], description: 'Old', firstTurnId: null });
      const facts = await s.listFacts(st.id);
      expect(facts.map((f) => [f.key, f.depth, f.turnId])).toEqual([['age', 0, null], ['boat', 3, main[2]!.id]]);
      expect(await s.listLore(st.id)).toEqual([expect.objectContaining({ title: 'Tides', keywords: ['tide'], constant: true })]);
      const sideA = (await s.getBranch(st.id, sideB.id))[2]!;
      expect((await s.searchTurns(st.id, 'marmalade', 3)).map((h) => h.turnId)).toEqual([sideA.id]);
      await expect(s.importStory({ ...bundle, branches: [{ from: 9, turns: [] }] })).rejects.toBeInstanceOf(LunaError);
      expect((await s.listStories()).length).toBe(1);
    });

    it('deletes a story with everything in it but keeps the cost ledger', async () => {
      const s = store();
      const st = await s.importStory(bundle);
      const keep = await s.createStory({ title: 'Keep', premise: 'P' });
      const [k1] = await chain(s, keep.id, 1);
      const t = await addTurn(s, st.id, 'marmalade again', 'prose', {
        entities: [{ name: 'Zed', kind: 'character' }], facts: [{ entityName: 'Zed', key: 'k', value: 'v' }],
        ledger: [ledgerRow()], jobs: [{ kind: 'embed-turn' }],
      });
      await s.putEmbedding(t.id, st.id, new Float32Array([1, 0]));
      await s.addArcSummary({ storyId: st.id, toTurnId: t.id, fromDepth: 1, toDepth: t.depth, kind: 'arc', summary: 's' });
      await s.saveImagePrompt(t.id, 'p');
      expect(await s.deleteStory(st.id)).toBe(true);
      expect(await s.getStory(st.id)).toBeNull();
      expect(await s.getTurn(t.id)).toBeNull();
      expect(await s.countTurns(st.id)).toBe(0);
      expect(await s.listEntities(st.id)).toEqual([]);
      expect(await s.listFacts(st.id)).toEqual([]);
      expect(await s.listLore(st.id)).toEqual([]);
      expect(await s.listArcSummaries(st.id)).toEqual([]);
      expect(await s.listJobs({ storyId: st.id })).toEqual([]);
      expect(await s.searchTurns(st.id, 'marmalade', 5)).toEqual([]);
      expect(await s.searchEmbeddings(st.id, new Float32Array([1, 0]), 5)).toEqual([]);
      expect(await s.getImagePrompts([t.id])).toEqual({});
      expect(await s.listCalls({ storyId: st.id })).toHaveLength(1);
      expect(await s.deleteStory(st.id)).toBe(false);
      expect(await s.getTurn(k1!.id)).toEqual(k1);
    });
  });
}
