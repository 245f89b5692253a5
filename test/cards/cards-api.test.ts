import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiFixture, type ApiFixture } from '../api/api-fixture.js';
import { b64json, chunksOf, fromB64json, textOf, tinyPng, V2_CARD } from './png-fixture.js';

/** Cards over HTTP on a real port: the PNG bytes in, a V3 PNG out; bad cards are a 400 with one message. */
let f: ApiFixture;
beforeAll(async () => {
  f = await apiFixture();
}, 60_000);
afterAll(async () => {
  await f?.close();
});

describe('character cards over HTTP', () => {
  it('imports a PNG card and serves the story back as a V3 PNG card; refuses a PNG without one', async () => {
    const png = tinyPng({ chara: b64json(V2_CARD) });
    const res = await fetch(`${f.url}/v1/stories/import-card`, { method: 'POST', headers: { authorization: `Bearer ${f.keys.a}`, 'content-type': 'image/png' }, body: png });
    expect(res.status, await res.clone().text()).toBe(201);
    const r = (await res.json()) as any;
    expect(r).toMatchObject({ spec: 'chara_card_v2', source: 'png', lore: 2, image: true, story: { title: 'Maren Vale' } });
    const out = await fetch(`${f.url}/v1/stories/${r.story.id}/card`, { headers: { authorization: `Bearer ${f.keys.a}` } });
    expect(out.status).toBe(200);
    expect(out.headers.get('content-type')).toBe('image/png');
    const bytes = Buffer.from(await out.arrayBuffer());
    expect(chunksOf(bytes).map((c) => c.type)).toEqual(['IHDR', 'IDAT', 'tEXt', 'tEXt', 'IEND']);
    expect(fromB64json(textOf(bytes).ccv3!).data).toMatchObject({ name: 'Maren Vale', description: V2_CARD.data.description, tags: V2_CARD.data.tags });
    const json = await (await f.req('GET', `/v1/stories/${r.story.id}/card?format=json`)).json();
    expect(json.spec).toBe('chara_card_v3');
    expect((await f.req('GET', `/v1/stories/${r.story.id}/card`, { key: f.keys.b })).status).toBe(404);

    const viaJson = await f.req('POST', '/v1/stories/import-card', { body: V2_CARD });
    expect(viaJson.status).toBe(201);
    const bad = await fetch(`${f.url}/v1/stories/import-card`, { method: 'POST', headers: { authorization: `Bearer ${f.keys.a}`, 'content-type': 'image/png' }, body: tinyPng() });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as any).error.message).toBe('body is a PNG without a character card (no chara or ccv3 text chunk)');
  }, 60_000);
});
