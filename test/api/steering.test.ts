import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { planJson } from '../helpers/pipeline-fixture.js';
import { apiFixture, type ApiFixture } from './api-fixture.js';

let f: ApiFixture;
beforeEach(async () => {
  f = await apiFixture();
});
afterEach(async () => {
  await f.close();
});

const newStory = async () => {
  const res = await f.req('POST', '/v1/stories', { body: { title: 'The Lighthouse', premise: 'A keeper named Maren finds a stranger on the rocks.' } });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string };
};
const lastUser = (server: ApiFixture['fx']['writer']) => String(server.requests.filter((r) => r.path === '/v1/chat/completions').at(-1)!.body.messages.at(-1).content);

async function play(id: string, body: Record<string, unknown>, prose = ['Maren lifts ', 'Dawnbreaker.']) {
  f.fx.strategist.script({ kind: 'json', value: planJson() });
  f.fx.writer.script({ kind: 'text', chunks: prose });
  const res = await f.req('POST', `/v1/stories/${id}/turns`, { body });
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()).turn as { id: string; parentId: string | null; depth: number; action: string; note: string; ooc: string; continued: boolean };
}

describe('luna api: steering', () => {
  it("PUT /note sets the Author's Note the models get; a turn's note, ooc and continue go through POST /turns", async () => {
    const s = await newStory();
    await play(s.id, { action: 'I climb the stair' });
    const put = await f.req('PUT', `/v1/stories/${s.id}/note`, { body: { note: 'Keep it eerie.' } });
    expect(put.status).toBe(200);
    expect(await put.json()).toEqual({ storyId: s.id, authorNote: 'Keep it eerie.' });
    expect(await (await f.req('GET', `/v1/stories/${s.id}`)).json()).toMatchObject({ authorNote: 'Keep it eerie.' });

    const t = await play(s.id, { action: 'I light the lamp', note: 'mention the gulls', ooc: 'the stranger should lie' });
    expect(t).toMatchObject({ note: 'mention the gulls', ooc: 'the stranger should lie', continued: false });
    const writer = lastUser(f.fx.writer);
    expect(writer).toMatch(/\[Author's note: Keep it eerie\.\]\n\[Note for this turn: mention the gulls\]\s*## Player action\nI light the lamp/);
    expect(writer).not.toContain('the stranger should lie');
    expect(lastUser(f.fx.strategist)).toContain('## Out-of-character instruction (for the plan; not an event in the story)\nthe stranger should lie');

    const c = await play(s.id, { continue: true });
    expect(c).toMatchObject({ action: '', continued: true, depth: 3 });
    expect(lastUser(f.fx.writer)).toContain('(none: the player asks the story to go on from where it stands)');
    const bad = await f.req('POST', `/v1/stories/${s.id}/turns`, { body: { continue: true, action: 'x' } });
    expect(bad.status).toBe(400);

    expect((await (await f.req('PUT', `/v1/stories/${s.id}/note`, { body: { note: '' } })).json()).authorNote).toBe('');
  });

  it('retries any turn with {mode: "retry", at}, lists and switches takes, and edits prose', async () => {
    const s = await newStory();
    const t1 = await play(s.id, { action: 'I climb the stair' });
    const t2 = await play(s.id, { action: 'I light the lamp' });
    const t3 = await play(s.id, { action: 'I open the door' });
    const retake = await play(s.id, { mode: 'retry', at: t2.id }, ['A second ', 'take.']);
    expect(retake).toMatchObject({ parentId: t1.id, depth: 2, action: 'I light the lamp' });

    const takes = await (await f.req('GET', `/v1/stories/${s.id}/turns/${t2.id}/takes`)).json();
    expect(takes.depth).toBe(2);
    expect(takes.takes.map((t: { n: number; current: boolean; after: number; turn: { id: string } }) => [t.n, t.turn.id, t.current, t.after])).toEqual([[1, t2.id, false, 1], [2, retake.id, true, 0]]);
    const sw = await f.req('POST', `/v1/stories/${s.id}/turns/${retake.id}/takes`, { body: { take: 1 } });
    expect(sw.status).toBe(200);
    expect(await sw.json()).toMatchObject({ headTurnId: t3.id, depth: 3, take: { n: 1, current: true } });
    expect((await f.req('POST', `/v1/stories/${s.id}/turns/${t2.id}/takes`, { body: { take: 7 } })).status).toBe(400);

    const ed = await f.req('PUT', `/v1/stories/${s.id}/turns/${t2.id}/prose`, { body: { prose: 'The lamp flares green.' } });
    expect(ed.status).toBe(200);
    expect(await ed.json()).toMatchObject({ id: t2.id, prose: 'The lamp flares green.', editedAt: expect.any(String) });
    const turns = (await (await f.req('GET', `/v1/stories/${s.id}/turns`)).json()).data;
    expect(turns.map((t: { prose: string }) => t.prose)).toContain('The lamp flares green.');
    const head = await f.req('PUT', `/v1/stories/${s.id}/turns/head/prose`, { body: { prose: 'Wind.' } });
    expect(await head.json()).toMatchObject({ id: t3.id, prose: 'Wind.' });
    expect((await f.req('PUT', `/v1/stories/${s.id}/turns/zzzzzz/prose`, { body: { prose: 'x' } })).status).toBe(404);
    expect((await f.req('PUT', `/v1/stories/${s.id}/turns/${t2.id}/prose`, { body: { prose: '  ' } })).status).toBe(400);
  });
});
