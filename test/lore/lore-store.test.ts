import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contextSchema } from '../../src/config/schema.js';
import { curateContext } from '../../src/pipeline/preprocessor.js';
import { openStore } from '../../src/store/open.js';
import { openPostgresStore } from '../../src/store/postgres/index.js';
import type { Store } from '../../src/store/types.js';
import { createDb, dbNameOf, dropDb, migratedTemplate, uniqueDbName } from '../postgres/pg-helpers.js';
import { addTurn } from '../store/fixtures.js';
import { addLoreEntry } from '../../src/lore/ops.js';

/** Lore rules stored and read back the same on SQLite and PostgreSQL, and placed by the Preprocessor. */
const stores: { name: string; open: () => Promise<Store> }[] = [
  { name: 'sqlite', open: async () => { const home = mkdtempSync(path.join(tmpdir(), 'luna-lore-')); return openStore({ url: `sqlite:${path.join(home, 'l.db')}`, poolSize: 1 }, home, { autoMigrateSqlite: true }); } },
  { name: 'postgres', open: async () => { const url = await createDb(uniqueDbName(), template); dbs.push(dbNameOf(url)); return openPostgresStore(url, { poolSize: 2 }); } },
];
let template = '';
const dbs: string[] = [];
beforeAll(async () => { template = await migratedTemplate(); }, 60_000);
afterAll(async () => { for (const d of dbs) await dropDb(d); if (template) await dropDb(template); }, 60_000);

for (const { name, open } of stores) {
  describe(`lore on ${name}`, () => {
    let store: Store;
    beforeAll(async () => { store = await open(); }, 60_000);
    afterAll(async () => { await store?.close(); });

    it('keeps every rule, edits, removes, and imports all or nothing', async () => {
      const st = await store.createStory({ title: 'Harbour', premise: 'p' });
      const a = await store.addLore(st.id, { title: 'Chapel', body: 'Its bell rings.', keywords: ['chapel', '/bells?/i'], secondaryKeys: ['tide'], logic: 'not-all',
        caseSensitive: true, wholeWords: false, order: 5, priority: -20, position: 'recent', probability: 40, excludeRecursion: true, preventRecursion: true, enabled: false, comment: 'why' });
      expect(a).toMatchObject({ title: 'Chapel', keywords: ['chapel', '/bells?/i'], secondaryKeys: ['tide'], logic: 'not-all', caseSensitive: true, wholeWords: false,
        order: 5, priority: -20, position: 'recent', probability: 40, excludeRecursion: true, preventRecursion: true, enabled: false, comment: 'why', constant: false });
      const plain = await store.addLore(st.id, { title: 'Town', body: 'Quiet.' });
      expect(plain).toMatchObject({ keywords: [], secondaryKeys: [], logic: 'and-any', wholeWords: true, order: 100, priority: 0, position: 'before', probability: 100, enabled: true, comment: '' });
      const edited = await store.updateLore(st.id, a.id, { enabled: true, probability: 100, keywords: ['chapel'] });
      expect(edited).toMatchObject({ enabled: true, probability: 100, keywords: ['chapel'], comment: 'why', order: 5 });
      await expect(store.updateLore(st.id, 'nope', { enabled: true })).rejects.toThrow(/not found/);
      expect(await store.deleteLore(st.id, plain.id)).toBe(true);
      expect(await store.deleteLore(st.id, plain.id)).toBe(false);
      const many = await store.importLore(st.id, Array.from({ length: 300 }, (_, i) => ({ title: `E${i}`, body: `b${i}`, keywords: [`k${i}`] })));
      expect(many.map((l) => l.title)).toEqual(Array.from({ length: 300 }, (_, i) => `E${i}`));
      // A failing entry (a title that is not text) rolls the whole import back.
      await expect(store.importLore(st.id, [{ title: 'ok', body: 'x' }, { title: null as unknown as string, body: 'y' }])).rejects.toThrow();
      expect(await store.listLore(st.id)).toHaveLength(301);
      const replaced = await store.importLore(st.id, [{ title: 'Only', body: 'z' }], { replace: true });
      expect((await store.listLore(st.id)).map((l) => l.id)).toEqual(replaced.map((l) => l.id));
    });

    it('two adds racing with one title: one lands, the other is refused', async () => {
      const st = await store.createStory({ title: 'Race', premise: 'p' });
      const results = await Promise.allSettled([addLoreEntry(store, st.id, { title: 'Bell', body: 'a' }), addLoreEntry(store, st.id, { title: 'bell', body: 'b' })]);
      expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
      expect(String((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason.message)).toMatch(/already has a lore entry "[Bb]ell"/);
      expect(await store.listLore(st.id)).toHaveLength(1);
    });

    it('keeps the card a story was made from, picture byte for byte, in the import transaction', async () => {
      const image = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 255]);
      const st = await store.importStory({ title: 'Maren', premise: '', turns: [{ action: '', prose: 'Who are you?' }], lore: [{ title: 'Lamp', body: 'b', probability: 20 }],
        card: { spec: 'chara_card_v3', data: { name: 'Maren', creator: 'x', extensions: { a: [1, { b: null }] } }, tags: ['sea', 'slow'], image: image.toString('base64') } });
      expect(await store.getStoryCard(st.id)).toEqual({ storyId: st.id, spec: 'chara_card_v3', card: { name: 'Maren', creator: 'x', extensions: { a: [1, { b: null }] } }, tags: ['sea', 'slow'], image });
      expect((await store.listLore(st.id))[0]).toMatchObject({ title: 'Lamp', probability: 20 });
      expect(await store.getStoryCard((await store.createStory({ title: 'Plain', premise: '' })).id)).toBeNull();
      await store.deleteStory(st.id);
      expect(await store.getStoryCard(st.id)).toBeNull();
    });

    it('places triggered entries by position and order, and says what triggered them', async () => {
      const st = await store.createStory({ title: 'Harbour', premise: 'A keeper.' });
      await addTurn(store, st.id, 'I wake', 'The tide is high at the harbour.');
      const story = (await store.getStory(st.id))!;
      await store.importLore(st.id, [
        { title: 'Late', body: 'Second in order.', keywords: ['lamp'], order: 200 },
        { title: 'Early', body: 'First in order; the Guild built it.', keywords: ['lamp'], order: 1 },
        { title: 'Guild', body: 'Masons.', keywords: ['guild'], position: 'after' },
        { title: 'Tide note', body: 'Mind the tide.', keywords: ['tide'], position: 'recent', secondaryKeys: ['storm'], logic: 'not-any' },
        { title: 'Never', body: 'x', keywords: ['lamp'], probability: 0 },
      ]);
      const config = contextSchema.parse({});
      const c = await curateContext({ store, story, headId: story.headTurnId, action: 'I light the lamp', config });
      const text = c.text;
      expect(text.indexOf('Early:')).toBeLessThan(text.indexOf('Late:'));
      expect(text.indexOf('## More about the world')).toBeGreaterThan(text.indexOf('## World'));
      expect(text.indexOf('Guild: Masons.')).toBeGreaterThan(text.indexOf('## More about the world'));
      expect(text.indexOf('## Keep in mind')).toBeLessThan(text.indexOf('## Most recent turns'));
      expect(text).not.toContain('Never:');
      const why = Object.fromEntries(c.context.lore!.map((l) => [l.title, `${l.via} ${l.included} ${l.why}`]));
      expect(why).toEqual({
        Early: 'action true key "lamp" in the action', Late: 'action true key "lamp" in the action',
        'Tide note': 'context true key "tide" in the recent turns; not any of "storm"',
        Guild: 'recursion true key "guild" in the text of "Early" (recursion step 1)',
        Never: 'missed false key "lamp" matched, but rolled ' + c.context.lore!.find((l) => l.title === 'Never')!.why.split('rolled ')[1],
      });
      // Same story position, same rolls: a retry sees the same lore.
      const again = await curateContext({ store, story, headId: story.headTurnId, action: 'I light the lamp', config });
      expect(again.text).toBe(c.text);
    });
  });
}
