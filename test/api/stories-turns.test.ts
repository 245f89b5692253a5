import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { planJson } from '../helpers/pipeline-fixture.js';
import { apiFixture, readSse, until, type ApiFixture, type JsonResponse } from './api-fixture.js';

let f: ApiFixture;
beforeEach(async () => {
  f = await apiFixture();
});
afterEach(async () => {
  await f.close();
});

const newStory = async (title = 'The Lighthouse', key?: string) => {
  const res = await f.req('POST', '/v1/stories', { key, body: { title, premise: 'A keeper named Maren finds a stranger on the rocks.' } });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string; accountId: string };
};
const script = (prose = ['Maren lifts ', 'Dawnbreaker.']) => {
  f.fx.strategist.script({ kind: 'json', value: planJson(), usage: { prompt_tokens: 900, completion_tokens: 120 } });
  f.fx.writer.script({ kind: 'text', chunks: prose, usage: { prompt_tokens: 1500, completion_tokens: 40 } });
};

describe('luna api: stories and turns', () => {
  it('creates, lists (paginated), gets, exports, imports and deletes stories of the caller', async () => {
    const s1 = await newStory('One');
    await newStory('Two');
    await newStory('Three');
    expect(s1.accountId).toBe('a');
    const p1 = await (await f.req('GET', '/v1/stories?limit=2')).json();
    expect(p1.data).toHaveLength(2);
    expect(p1.nextCursor).toEqual(expect.any(String));
    const p2 = await (await f.req('GET', `/v1/stories?limit=2&cursor=${p1.nextCursor}`)).json();
    expect(p2.data).toHaveLength(1);
    expect(p2.nextCursor).toBeNull();
    expect(new Set([...p1.data, ...p2.data].map((s: { title: string }) => s.title))).toEqual(new Set(['One', 'Two', 'Three']));

    const got = await (await f.req('GET', `/v1/stories/${s1.id}`)).json();
    expect(got).toMatchObject({ id: s1.id, title: 'One', turnCount: 0 });
    const bundle = await (await f.req('GET', `/v1/stories/${s1.id}/export`)).json();
    expect(bundle).toMatchObject({ format: 'luna-story/1', title: 'One' });
    const imp = await f.req('POST', '/v1/stories/import', { body: { ...bundle, title: 'Copy', turns: [{ action: 'look', prose: 'You see the sea.' }] } });
    expect(imp.status).toBe(201);
    const copy = await imp.json();
    expect((await (await f.req('GET', `/v1/stories/${copy.id}/turns`)).json()).data.map((t: { prose: string }) => t.prose)).toEqual(['You see the sea.']);
    const md = await f.req('GET', `/v1/stories/${copy.id}/export?format=markdown`);
    expect(await md.text()).toContain('> look');

    expect((await f.req('DELETE', `/v1/stories/${s1.id}`)).status).toBe(200);
    expect((await f.req('GET', `/v1/stories/${s1.id}`)).status).toBe(404);
  });

  it('plays a turn as JSON, fetches it by id, undoes, retries, branches from root and switches back', async () => {
    const s = await newStory();
    script();
    const res = await f.req('POST', `/v1/stories/${s.id}/turns`, { body: { action: 'I ask the stranger who sent him' } });
    expect(res.status).toBe(200);
    const done = await res.json();
    expect(done.prose).toBe('Maren lifts Dawnbreaker.');
    expect(done.totals.inputTokens).toBe(2400);
    expect(done.totals.costUsd).toBeCloseTo(0.0015, 10);
    const first = done.turn.id as string;
    const fetched = await (await f.req('GET', `/v1/stories/${s.id}/turns/${first}`)).json();
    expect(fetched).toMatchObject({ id: first, action: 'I ask the stranger who sent him', depth: 1 });

    // retry: another take of the same action, a sibling of the head
    script(['A second take.']);
    const retry = await (await f.req('POST', `/v1/stories/${s.id}/turns`, { body: { mode: 'retry' } })).json();
    expect(retry.turn).toMatchObject({ action: 'I ask the stranger who sent him', parentId: null, depth: 1 });

    const undo = await (await f.req('POST', `/v1/stories/${s.id}/undo`)).json();
    expect(undo).toMatchObject({ headTurnId: null, depth: 0 });
    expect((await f.req('POST', `/v1/stories/${s.id}/undo`)).status).toBe(400);

    script(['From the start.']);
    const branch = await (await f.req('POST', `/v1/stories/${s.id}/turns`, { body: { action: 'I run', mode: 'from', from: 'root' } })).json();
    expect(branch.turn.parentId).toBeNull();
    const branches = await (await f.req('GET', `/v1/stories/${s.id}/branches`)).json();
    expect(branches.data).toHaveLength(3);
    const sw = await (await f.req('POST', `/v1/stories/${s.id}/head`, { body: { turn: first } })).json();
    expect(sw.headTurnId).toBe(first);
    const story = await (await f.req('GET', `/v1/stories/${s.id}`)).json();
    expect(story.headTurnId).toBe(first);

    // memory views
    const entities = await (await f.req('GET', `/v1/stories/${s.id}/entities`)).json();
    expect(entities.data.map((e: { name: string }) => e.name).sort()).toEqual(['Maren', 'the Stranger']);
    const ctx = await (await f.req('GET', `/v1/stories/${s.id}/context?action=${encodeURIComponent('I look at Maren')}`)).json();
    expect(ctx.sections.length).toBeGreaterThan(0);
    expect((await (await f.req('GET', `/v1/stories/${s.id}/lore`)).json()).data).toEqual([]);
    const jobs = await (await f.req('GET', `/v1/jobs?story=${s.id}`)).json();
    expect(jobs.counts.queued).toBeGreaterThan(0);
    const job = await f.req('GET', `/v1/jobs/${jobs.data[0].id}`);
    expect(job.status).toBe(200);
    const cost = await (await f.req('GET', '/v1/cost')).json();
    expect(cost.total.calls).toBe(6);
    expect(cost.total.costUsd).toBeCloseTo(0.0045, 10);
  });

  it('streams a turn over SSE with event ids and a final done', async () => {
    const s = await newStory();
    script(['Maren ', 'lifts ', 'Dawnbreaker.']);
    const res = await f.req('POST', `/v1/stories/${s.id}/turns`, { body: { action: 'I wait' }, headers: { accept: 'text/event-stream' } });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const events = await readSse(res);
    expect(events[0]!.event).toBe('turn-started');
    expect(events.map((e) => Number(e.id))).toEqual(events.map((_, i) => i + 1));
    const types = events.map((e) => e.event);
    for (const t of ['stage-started', 'context-ready', 'plan-ready', 'prose-token', 'cost']) expect(types).toContain(t);
    expect(events.filter((e) => e.event === 'prose-token').map((e) => e.data.text).join('')).toBe('Maren lifts Dawnbreaker.');
    const done = events.at(-1)!;
    expect(done.event).toBe('done');
    expect(done.data.turn.storyId).toBe(s.id);
  });

  it('a client that disconnects mid-turn cancels it: no turn, the paid calls are in the ledger', async () => {
    const s = await newStory();
    f.fx.strategist.script({ kind: 'json', value: planJson(), usage: { prompt_tokens: 900, completion_tokens: 120 } });
    f.fx.writer.script({ kind: 'hang' });
    const ctrl = new AbortController();
    const res = await f.req('POST', `/v1/stories/${s.id}/turns`, { body: { action: 'I wait' }, headers: { accept: 'text/event-stream' }, signal: ctrl.signal });
    await readSse(res, (e) => e.event === 'stage-started' && e.data.stage === 'writer');
    ctrl.abort();
    await until(() => f.api.ctx.runner.inFlight === 0);
    expect(await f.fx.store.countTurns(s.id)).toBe(0);
    expect((await f.fx.store.getStory(s.id))!.headTurnId).toBeNull();
    const calls = await f.fx.store.listCalls({ storyId: s.id });
    // The Strategist's paid call stays ledgered without a turn (the aborted Writer call may be there too).
    expect(calls.find((c) => c.agent === 'strategist')).toMatchObject({ turnId: null, costUsd: expect.closeTo(0.0015, 10) });
    expect(calls.every((c) => c.turnId === null)).toBe(true);
    const metrics = await (await f.req('GET', '/metrics')).text();
    expect(metrics).toMatch(/luna_api_turns_total\{outcome="cancelled"\} 1/);
  });

  it('two concurrent turns on one story: one plays, the other gets 409 at once', async () => {
    const s = await newStory();
    // The first turn holds the story until its stream ends, so a request made while it streams is refused.
    f.fx.strategist.script({ kind: 'json', value: planJson() });
    f.fx.writer.script({ kind: 'text', chunks: ['one ', 'two ', 'three ', 'four.'], delayMs: 30 });
    const a = await f.req('POST', `/v1/stories/${s.id}/turns`, { body: { action: 'I wait' }, headers: { accept: 'text/event-stream' } });
    let b: JsonResponse | undefined;
    const events = await readSseAll(a, async (e) => {
      if (e.event === 'prose-token' && !b) b = await f.req('POST', `/v1/stories/${s.id}/turns`, { body: { action: 'I also wait' } });
    });
    expect(b!.status).toBe(409);
    expect((await b!.json()).error.code).toBe('story_busy');
    expect(events.at(-1)!.event).toBe('done');
    expect(await f.fx.store.countTurns(s.id)).toBe(1);
  });
});

/** Reads every event, awaiting an async callback on each (so a request can be made while the stream is open). */
async function readSseAll(res: JsonResponse, on: (e: { event: string; data: any }) => Promise<void>) {
  const events: { event: string; data: any }[] = [];
  const pending: Promise<void>[] = [];
  await readSse(res, (e) => {
    events.push(e);
    pending.push(on(e));
  });
  await Promise.all(pending);
  return events;
}

describe('luna api: after a commit', () => {
  it('runs the Dreamer in-process (off the response path) unless --no-dream', async () => {
    const g = await apiFixture({ dream: true });
    try {
      const s = await (await g.req('POST', '/v1/stories', { body: { title: 'Dreaming' } })).json();
      g.fx.strategist.script({ kind: 'json', value: planJson() });
      g.fx.writer.script({ kind: 'text', chunks: ['Maren waits.'] });
      const done = await (await g.req('POST', `/v1/stories/${s.id}/turns`, { body: { action: 'I wait' } })).json();
      expect(done.jobsQueued).toBeGreaterThan(0);
      await until(async () => {
        await g.api.ctx.runner.idle();
        const c = await g.fx.store.jobCounts(s.id);
        return c.queued + c.running === 0;
      });
      const jobs = await (await g.req('GET', `/v1/jobs?story=${s.id}`)).json();
      expect(jobs.counts.done).toBe(done.jobsQueued);
    } finally {
      await g.close();
    }
  });
});
