import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresStore } from '../../src/store/postgres/index.js';
import { apiFixture, type ApiFixture } from '../api/api-fixture.js';
import { planJson } from '../helpers/pipeline-fixture.js';
import { createDb, dbNameOf, dropDb } from '../postgres/pg-helpers.js';

/** Review mode and corrections on PostgreSQL, each request under row-level security for its key's account. */
let url = '';
let f: ApiFixture;
beforeAll(async () => {
  url = await createDb();
  await (await openPostgresStore(url, { poolSize: 2, autoMigrate: true })).close();
  f = await apiFixture({}, {
    agents: { preprocessor: { model: 'scribe' }, strategist: { model: 'planner' }, writer: { model: 'scribe' }, dreamer: { model: 'scribe', inProcess: false, review: true } },
  }, url);
}, 60_000);
afterAll(async () => {
  await f?.close();
  if (url) await dropDb(dbNameOf(url));
}, 60_000);

describe('memory review over the API on PostgreSQL', () => {
  it('a turn queues its changes; the owner accepts them and corrects a fact; another account sees nothing', async () => {
    expect(f.fx.store.dialect).toBe('postgres');
    const s = await (await f.req('POST', '/v1/stories', { body: { title: 'Review', premise: 'Maren keeps the light.' } })).json();
    f.fx.strategist.script({ kind: 'json', value: planJson() });
    f.fx.writer.script({ kind: 'text', chunks: ['Maren ', 'draws.'] });
    const done = await f.req('POST', `/v1/stories/${s.id}/turns`, { body: { action: 'I draw' } });
    expect(done.status, await done.clone().text()).toBe(200);
    expect((await (await f.req('GET', `/v1/stories/${s.id}/facts`)).json()).data).toEqual([]);
    const pending = (await (await f.req('GET', `/v1/stories/${s.id}/memory/review`)).json()).data;
    expect(pending.map((p: { text: string }) => p.text)).toEqual(['entity Maren [character]', 'entity the Stranger [character]', 'fact Maren.sword = Dawnbreaker, drawn']);
    expect((await (await f.req('GET', `/v1/stories/${s.id}/memory/review`, { key: f.keys.b })).json()).error).toBeTruthy();
    const acc = await f.req('POST', `/v1/stories/${s.id}/memory/review`, { body: { accept: 'all' } });
    expect(acc.status, await acc.clone().text()).toBe(200);
    const put = await f.req('PUT', `/v1/stories/${s.id}/entities/Maren/facts/sword`, { body: { value: 'sheathed' } });
    expect(await put.json()).toMatchObject({ value: 'sheathed', origin: 'player', history: [expect.objectContaining({ value: 'Dawnbreaker, drawn', origin: 'plan' })] });
    const merged = await f.req('POST', `/v1/stories/${s.id}/entities/the%20Stranger/merge`, { body: { into: 'Maren' } });
    expect(merged.status, await merged.clone().text()).toBe(200);
    expect((await f.req('GET', `/v1/stories/${s.id}/entities/Maren`, { key: f.keys.b })).status).toBe(404);
  }, 60_000);
});
