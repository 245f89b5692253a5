import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiFixture, type ApiFixture } from '../api/api-fixture.js';
import { AI_DUNGEON, SILLYTAVERN } from './fixtures.js';

/** The lore routes on a real port over a real SQLite store: same rules as the CLI, and tenants kept apart. */
let f: ApiFixture;
let story: string;
beforeAll(async () => {
  f = await apiFixture();
  story = (await (await f.req('POST', '/v1/stories', { body: { title: 'Harbour', premise: 'A keeper.' } })).json()).id;
}, 60_000);
afterAll(async () => {
  await f?.close();
});

describe('lore over HTTP', () => {
  it('adds, edits, removes and imports; bad input is a 400 with one message', async () => {
    const add = await f.req('POST', `/v1/stories/${story}/lore`, { body: { title: 'Chapel', body: 'Bell at low tide.', keywords: ['chapel'], secondaryKeys: ['storm'], logic: 'not-any' } });
    expect(add.status).toBe(201);
    const entry = await add.json();
    expect(entry).toMatchObject({ title: 'Chapel', logic: 'not-any', probability: 100 });
    const bad = await f.req('POST', `/v1/stories/${story}/lore`, { body: { title: 'X', body: 'y', probability: 'often' } });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.message).toMatch(/^body\.probability: /);
    const dup = await f.req('POST', `/v1/stories/${story}/lore`, { body: { title: 'chapel', body: 'y' } });
    expect(dup.status).toBe(400);
    const patched = await f.req('PATCH', `/v1/stories/${story}/lore/${entry.id}`, { body: { probability: 25, position: 'recent' } });
    expect(await patched.json()).toMatchObject({ probability: 25, position: 'recent', body: 'Bell at low tide.' });
    const ctx = await (await f.req('GET', `/v1/stories/${story}/context?action=${encodeURIComponent('I go to the chapel')}`)).json();
    expect(ctx.lore[0]).toMatchObject({ title: 'Chapel', position: 'recent' });

    const imp = await f.req('POST', `/v1/stories/${story}/lore/import`, { body: SILLYTAVERN });
    expect(imp.status).toBe(201);
    expect(await imp.json()).toMatchObject({ format: 'sillytavern', imported: 5, notes: expect.arrayContaining([expect.objectContaining({ entry: 4, title: 'Guild' })]) });
    const cards = await f.req('POST', `/v1/stories/${story}/lore/import?dryRun=true`, { body: AI_DUNGEON });
    expect(cards.status, await cards.clone().text()).toBe(200);
    expect(await cards.json()).toMatchObject({ format: 'aidungeon', imported: 0, entries: 2 });
    const list = await (await f.req('GET', `/v1/stories/${story}/lore?limit=200`)).json();
    expect(list.data).toHaveLength(6);

    // Another account sees no story there, so no lore either.
    expect((await f.req('PATCH', `/v1/stories/${story}/lore/${entry.id}`, { key: f.keys.b, body: { probability: 1 } })).status).toBe(404);
    expect((await f.req('DELETE', `/v1/stories/${story}/lore/${entry.id}`)).status).toBe(200);
    expect((await f.req('DELETE', `/v1/stories/${story}/lore/${entry.id}`)).status).toBe(404);
  }, 60_000);
});
