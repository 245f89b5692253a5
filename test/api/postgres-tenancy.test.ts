import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePng } from '../helpers/comfyui-fake.js';
import { openPostgresStore } from '../../src/store/postgres/index.js';
import { planJson } from '../helpers/pipeline-fixture.js';
import { createDb, dbNameOf, dropDb } from '../postgres/pg-helpers.js';
import { apiFixture, type ApiFixture } from './api-fixture.js';

let url = '';
let f: ApiFixture;
beforeAll(async () => {
  url = await createDb();
  await (await openPostgresStore(url, { poolSize: 2, autoMigrate: true })).close();
  f = await apiFixture({}, {}, url);
}, 60_000);
afterAll(async () => {
  await f?.close();
  if (url) await dropDb(dbNameOf(url));
}, 60_000);

describe('luna api on PostgreSQL: each request runs under row-level security for its key\'s account', () => {
  it('account A plays a turn; account B can neither list, read, play nor delete it', async () => {
    expect(f.fx.store.dialect).toBe('postgres');
    const s = await (await f.req('POST', '/v1/stories', { body: { title: 'A on Postgres', premise: 'Maren keeps the light.' } })).json();
    f.fx.strategist.script({ kind: 'json', value: planJson(), usage: { prompt_tokens: 900, completion_tokens: 120 } });
    f.fx.writer.script({ kind: 'text', chunks: ['Maren ', 'waits.'] });
    const done = await (await f.req('POST', `/v1/stories/${s.id}/turns`, { body: { action: 'I wait' } })).json();
    expect(done.prose).toBe('Maren waits.');
    const calls = await f.fx.store.listCalls({ storyId: s.id });
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.every((c) => c.accountId === 'a' && c.turnId === done.turn.id)).toBe(true);

    const b = f.keys.b!;
    expect((await (await f.req('GET', '/v1/stories', { key: b })).json()).data).toEqual([]);
    expect((await f.req('GET', `/v1/stories/${s.id}`, { key: b })).status).toBe(404);
    expect((await f.req('GET', `/v1/stories/${s.id}/turns/${done.turn.id}`, { key: b })).status).toBe(404);
    expect((await f.req('POST', `/v1/stories/${s.id}/turns`, { key: b, body: { action: 'steal' } })).status).toBe(404);
    expect((await f.req('DELETE', `/v1/stories/${s.id}`, { key: b })).status).toBe(404);
    const cost = await (await f.req('GET', '/v1/cost', { key: b })).json();
    expect(cost.total?.calls ?? 0).toBe(0);

    // The request's store is the database-enforced one: even an unfiltered read sees only the caller's rows.
    const scopedB = await f.api.ctx.auth.authenticate({ headers: { authorization: `Bearer ${b}` } } as never);
    expect(await scopedB.store.listStories()).toEqual([]);
    expect(await scopedB.store.getTurn(done.turn.id)).toBeNull();
    expect((await (await f.req('GET', `/v1/stories/${s.id}`)).json()).turnCount).toBe(1);

    // Images too: A's picture is served to A and invisible to B, even to B's unfiltered store.
    const file = path.join(f.fx.home, 'pg-picture.png');
    const png = makePng(3, 2);
    writeFileSync(file, png);
    const [img] = await f.fx.store.replaceTurnImages(done.turn.id, 'a lamp', [{ n: 1, path: file, mime: 'image/png', width: 3, height: 2, bytes: png.length }]);
    const got = await f.req('GET', `/v1/stories/${s.id}/images/${img!.id}`);
    expect(got.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await got.arrayBuffer()).equals(png)).toBe(true);
    expect((await f.req('GET', `/v1/stories/${s.id}/images/${img!.id}`, { key: b })).status).toBe(404);
    expect(await scopedB.store.listTurnImages(s.id)).toEqual([]);
    expect(await scopedB.store.getTurnImage(s.id, img!.id)).toBeNull();
  });

  it("steering runs under row-level security: A sets its note, edits and retakes; B reaches none of it", async () => {
    const s = await (await f.req('POST', '/v1/stories', { body: { title: 'Steered on Postgres', premise: 'p' } })).json();
    const play = async (body: Record<string, unknown>) => {
      f.fx.strategist.script({ kind: 'json', value: planJson() });
      f.fx.writer.script({ kind: 'text', chunks: ['Waves.'] });
      const res = await f.req('POST', `/v1/stories/${s.id}/turns`, { body });
      expect(res.status).toBe(200);
      return (await res.json()).turn as { id: string; parentId: string | null };
    };
    const t1 = await play({ action: 'I wait' });
    await play({ action: 'I listen', note: 'hush' });
    expect((await f.req('PUT', `/v1/stories/${s.id}/note`, { body: { note: 'Keep it eerie.' } })).status).toBe(200);
    const retake = await play({ mode: 'retry', ooc: 'a storm' });
    expect(retake.parentId).toBe(t1.id);
    expect((await (await f.req('GET', `/v1/stories/${s.id}/turns/head/takes`)).json()).takes).toHaveLength(2);
    const ed = await f.req('PUT', `/v1/stories/${s.id}/turns/${t1.id}/prose`, { body: { prose: 'Edited under RLS.' } });
    expect(await ed.json()).toMatchObject({ prose: 'Edited under RLS.' });

    const b = f.keys.b!;
    expect((await f.req('PUT', `/v1/stories/${s.id}/note`, { key: b, body: { note: 'mine now' } })).status).toBe(404);
    expect((await f.req('PUT', `/v1/stories/${s.id}/turns/${t1.id}/prose`, { key: b, body: { prose: 'x' } })).status).toBe(404);
    expect((await f.req('GET', `/v1/stories/${s.id}/turns/${t1.id}/takes`, { key: b })).status).toBe(404);
    expect((await f.req('POST', `/v1/stories/${s.id}/turns/${t1.id}/takes`, { key: b, body: { take: 1 } })).status).toBe(404);
    const story = await f.fx.store.getStory(s.id);
    expect(story?.authorNote).toBe('Keep it eerie.');
    expect((await f.fx.store.getTurn(t1.id))?.prose).toBe('Edited under RLS.');
  });
});
