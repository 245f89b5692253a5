import { afterEach, describe, expect, it } from 'vitest';
import { planJson } from '../helpers/pipeline-fixture.js';
import { apiFixture, readSse, type ApiFixture } from './api-fixture.js';

let f: ApiFixture | undefined;
afterEach(async () => {
  await f?.close();
  f = undefined;
});

async function until(check: () => Promise<boolean> | boolean, what: string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const metrics = async (fx: ApiFixture) => (await fx.req('GET', '/metrics', { key: null })).text();

/** Starts a turn on s whose Writer hangs, and resolves once it holds the only slot; abort() frees it. */
async function holdTheSlot(fx: ApiFixture, storyId: string, key = fx.keys.a) {
  fx.fx.writer.script({ kind: 'hang' });
  const ctrl = new AbortController();
  const res = await fx.req('POST', `/v1/stories/${storyId}/turns`, { key, body: { action: 'hold the slot' }, headers: { accept: 'text/event-stream' }, signal: ctrl.signal });
  const events: string[] = [];
  const reading = readSse(res, (e) => void events.push(e.event)).catch(() => []);
  await until(() => events.filter((e) => e === 'stage-started').length >= 3, 'the first turn to reach its Writer');
  return { release: () => ctrl.abort(), reading };
}

describe('luna api under load: tiers', () => {
  it('turns waiting for a slot go by tier priority, not arrival: a studio turn that came last plays first', async () => {
    f = await apiFixture({ maxConcurrent: 1, maxInFlight: 10 }, { cost: { tiers: { free: { turnsPerMonth: null, priority: 0 }, studio: { turnsPerMonth: null, priority: 10 } } } });
    await f.fx.store.ensureAccount('b', undefined, 'studio');
    const story = async (key: string, title: string) => (await (await f!.req('POST', '/v1/stories', { key, body: { title } })).json()).id as string;
    const [s1, s2, s3] = [await story(f.keys.a!, 'one'), await story(f.keys.a!, 'two'), await story(f.keys.b!, 'three')];
    f.fx.strategist.setDefault({ kind: 'json', value: planJson() });
    f.fx.writer.setDefault({ kind: 'text', chunks: ['The tide turns.'] });
    const held = await holdTheSlot(f, s1);

    const free = f.req('POST', `/v1/stories/${s2}/turns`, { body: { action: 'the free reader waits' } });
    await until(async () => /luna_api_turns_queued\{tier="free"\} 1/.test(await metrics(f!)), 'the free turn in line');
    const studio = f.req('POST', `/v1/stories/${s3}/turns`, { key: f.keys.b, body: { action: 'the studio author waits' } });
    await until(async () => /luna_api_turns_queued\{tier="studio"\} 1/.test(await metrics(f!)), 'the studio turn in line');
    expect(f.fx.strategist.requests.some((r) => r.raw.includes('waits'))).toBe(false);

    held.release();
    const [a, b] = await Promise.all([free, studio]);
    expect(a.status).toBe(200);
    expect(b.status).toBe(200);
    const order = f.fx.strategist.requests.map((r) => r.raw).filter((x) => x.includes('waits'));
    expect(order[0]).toContain('studio author');
    expect(order.at(-1)).toContain('free reader');
    expect(await metrics(f)).not.toMatch(/luna_api_turns_queued\{tier="(free|studio)"\} [1-9]/);
  }, 60_000);

  it('a tier configured to degrade runs on its smaller models at once instead of waiting, and says so', async () => {
    f = await apiFixture({ maxConcurrent: 1, maxInFlight: 10 }, {
      cost: { tiers: { free: { turnsPerMonth: null, degrade: { whenQueued: 1, models: { writer: 'planner' } } }, studio: { turnsPerMonth: null, priority: 10 } } },
    });
    await f.fx.store.ensureAccount('b', undefined, 'studio');
    const story = async (key: string, title: string) => (await (await f!.req('POST', '/v1/stories', { key, body: { title } })).json()).id as string;
    const [s1, s2, s3] = [await story(f.keys.b!, 'one'), await story(f.keys.b!, 'two'), await story(f.keys.a!, 'three')];
    f.fx.strategist.setDefault({ kind: 'json', value: planJson() });
    f.fx.writer.setDefault({ kind: 'text', chunks: ['The tide turns.'] });
    const held = await holdTheSlot(f, s1, f.keys.b);
    const waiting = f.req('POST', `/v1/stories/${s2}/turns`, { key: f.keys.b, body: { action: 'the studio author waits' } });
    await until(async () => /luna_api_turns_queued\{tier="studio"\} 1/.test(await metrics(f!)), 'a turn in line');

    // One turn waits, the first still holds the slot: the free turn does not queue behind them.
    const res = await f.req('POST', `/v1/stories/${s3}/turns`, { body: { action: 'the free reader plays now' } });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.warnings.join(' ')).toMatch(/busy: this turn runs on smaller models \(writer → planner\)/);
    const calls = await f.fx.store.listCalls({ storyId: s3 });
    expect(calls.find((c) => c.agent === 'writer')?.model).toBe('planner-1');
    expect(await metrics(f)).toMatch(/luna_api_turns_degraded_total\{tier="free"\} 1/);

    held.release();
    expect((await waiting).status).toBe(200);
    const studioCalls = await f.fx.store.listCalls({ storyId: s2 });
    expect(studioCalls.find((c) => c.agent === 'writer')?.model).toBe('scribe-1');
  }, 60_000);
});
