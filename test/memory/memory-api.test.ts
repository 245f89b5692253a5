import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiFixture, type ApiFixture } from '../api/api-fixture.js';

/** The memory-correction routes on a real port over a real SQLite store: the CLI's rules, and tenants kept apart. */
let f: ApiFixture;
let story: string;
beforeAll(async () => {
  f = await apiFixture();
  const st = await f.fx.store.importStory({
    title: 'Harbour', premise: 'A keeper.',
    entities: [
      { name: 'Maren', kind: 'character', aliases: ['the keeper'], facts: [{ key: 'sword', value: 'rusty', turn: 1 }] },
      { name: 'Stranger', kind: 'other', facts: [{ key: 'scar', value: 'left cheek' }] },
    ],
    turns: [{ action: 'a', prose: 'one' }, { action: 'b', prose: 'two' }],
  }, 'a');
  story = st.id;
}, 60_000);
afterAll(async () => {
  await f?.close();
});

describe('memory corrections over HTTP', () => {
  it('shows, sets, removes, edits and merges; reviews queued changes; other accounts get 404', async () => {
    const sheet = await (await f.req('GET', `/v1/stories/${story}/entities/the%20keeper`)).json();
    expect(sheet.entity.name).toBe('Maren');
    expect(sheet.facts[0]).toMatchObject({ key: 'sword', value: 'rusty', origin: 'import', appliesFrom: 1 });

    const set = await f.req('PUT', `/v1/stories/${story}/entities/Maren/facts/sword`, { body: { value: 'reforged', from: 2 } });
    expect(set.status, await set.clone().text()).toBe(200);
    expect(await set.json()).toMatchObject({ value: 'reforged', origin: 'player', appliesFrom: 2, history: [expect.objectContaining({ value: 'rusty' })] });
    const badTurn = await f.req('PUT', `/v1/stories/${story}/entities/Maren/facts/sword`, { body: { value: 'x', from: 7 } });
    expect(badTurn.status).toBe(404);
    expect((await f.req('PUT', `/v1/stories/${story}/entities/Maren/facts/sword`, { body: { value: ' ' } })).status).toBe(400);
    const rm = await f.req('DELETE', `/v1/stories/${story}/entities/Maren/facts/sword`);
    expect(await rm.json()).toMatchObject({ removed: true, origin: 'player' });
    expect((await f.req('DELETE', `/v1/stories/${story}/entities/Maren/facts/sword`)).status).toBe(404);
    const facts = await (await f.req('GET', `/v1/stories/${story}/facts`)).json();
    expect(facts.data.map((l: { entity: string; key: string }) => `${l.entity}.${l.key}`)).toEqual(['Stranger.scar']);
    const hist = await (await f.req('GET', `/v1/stories/${story}/facts?entity=Maren&history=true`)).json();
    expect(hist.data[0].history.map((h: { value: string }) => h.value)).toEqual(['reforged', 'rusty']);

    const edit = await f.req('PATCH', `/v1/stories/${story}/entities/Stranger`, { body: { name: 'Vance', kind: 'character', summary: 'A sailor' } });
    expect(await edit.json()).toMatchObject({ name: 'Vance', kind: 'character', description: 'A sailor', aliases: ['Stranger'] });
    expect((await f.req('PATCH', `/v1/stories/${story}/entities/Vance`, { body: { kind: 'dragon' } })).status).toBe(400);
    const merged = await f.req('POST', `/v1/stories/${story}/entities/Vance/merge`, { body: { into: 'Maren' } });
    expect(await merged.json()).toMatchObject({ name: 'Maren', aliases: ['the keeper', 'Vance', 'Stranger'] });
    expect((await f.req('GET', `/v1/stories/${story}/entities/Vance`)).status).toBe(200);
    expect((await f.req('GET', `/v1/stories/${story}/entities/Nobody`)).status).toBe(404);

    const head = (await f.fx.store.getStory(story))!.headTurnId;
    await f.fx.store.addProposals(story, head, 'dreamer', [{ op: 'fact', entity: 'Maren', key: 'mood', value: 'wary' }, { op: 'entity', name: 'Gull', kind: 'item' }]);
    const pending = (await (await f.req('GET', `/v1/stories/${story}/memory/review`)).json()).data;
    expect(pending.map((p: { text: string; turn: number }) => [p.text, p.turn])).toEqual([['fact Maren.mood = wary', 2], ['entity Gull [item]', 2]]);
    expect((await f.req('POST', `/v1/stories/${story}/memory/review`, { key: f.keys.b, body: { accept: 'all' } })).status).toBe(404);
    expect((await f.req('POST', `/v1/stories/${story}/memory/review`, { body: { accept: 'all', reject: 'all' } })).status).toBe(400);
    const acc = await (await f.req('POST', `/v1/stories/${story}/memory/review`, { body: { accept: [pending[0].id] } })).json();
    expect(acc.data.map((p: { state: string }) => p.state)).toEqual(['accepted']);
    const rej = await (await f.req('POST', `/v1/stories/${story}/memory/review`, { body: { reject: 'all' } })).json();
    expect(rej.data.map((p: { change: { op: string } }) => p.change.op)).toEqual(['entity']);
    const mood = await (await f.req('GET', `/v1/stories/${story}/facts?entity=Maren`)).json();
    expect(mood.data.find((l: { key: string }) => l.key === 'mood')).toMatchObject({ value: 'wary', origin: 'dreamer' });

    // Another account sees no story there: every memory route answers 404 and changes nothing.
    expect((await f.req('GET', `/v1/stories/${story}/entities/Maren`, { key: f.keys.b })).status).toBe(404);
    expect((await f.req('PUT', `/v1/stories/${story}/entities/Maren/facts/mood`, { key: f.keys.b, body: { value: 'x' } })).status).toBe(404);
    expect((await f.req('GET', `/v1/stories/${story}/facts`, { key: f.keys.b })).status).toBe(404);
  }, 60_000);

  it('adds an entity and removes one with its facts; a name taken, a bad kind and another account are refused', async () => {
    const add = await f.req('POST', `/v1/stories/${story}/entities`, { body: { name: 'Orrin Vale', kind: 'character', summary: "The keeper's brother", aliases: ['the ferryman'] } });
    expect(add.status, await add.clone().text()).toBe(201);
    expect(await add.json()).toMatchObject({ name: 'Orrin Vale', kind: 'character', aliases: ['the ferryman'], firstTurnId: null });
    const taken = await f.req('POST', `/v1/stories/${story}/entities`, { body: { name: 'Gull', aliases: ['The Ferryman'] } });
    expect([taken.status, (await taken.json()).error.message]).toEqual([400, expect.stringContaining('already has "Orrin Vale"')]);
    expect((await f.req('POST', `/v1/stories/${story}/entities`, { body: { name: 'Gull', kind: 'dragon' } })).status).toBe(400);
    expect((await f.req('POST', `/v1/stories/${story}/entities`, { body: {} })).status).toBe(400);
    const plain = await f.req('POST', `/v1/stories/${story}/entities`, { body: { name: 'Lantern' } });
    expect([plain.status, await plain.json()]).toEqual([201, expect.objectContaining({ name: 'Lantern', kind: 'other', aliases: [], origin: 'player' })]);
    expect((await f.req('POST', `/v1/stories/${story}/entities`, { key: f.keys.b, body: { name: 'Gull' } })).status).toBe(404);
    await f.req('PUT', `/v1/stories/${story}/entities/the%20ferryman/facts/owes`, { body: { value: 'ten crowns' } });
    expect((await f.req('DELETE', `/v1/stories/${story}/entities/Orrin%20Vale`, { key: f.keys.b })).status).toBe(404);
    const rm = await f.req('DELETE', `/v1/stories/${story}/entities/Orrin%20Vale`);
    expect(await rm.json()).toMatchObject({ name: 'Orrin Vale', factsRemoved: 1 });
    expect((await f.req('GET', `/v1/stories/${story}/entities/Orrin%20Vale`)).status).toBe(404);
    expect((await f.req('DELETE', `/v1/stories/${story}/entities/Orrin%20Vale`)).status).toBe(404);
  }, 60_000);
});
