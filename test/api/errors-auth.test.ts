import { afterEach, describe, expect, it } from 'vitest';
import { planJson } from '../helpers/pipeline-fixture.js';
import { apiFixture, readSse, until, type ApiFixture } from './api-fixture.js';

let f: ApiFixture | undefined;
afterEach(async () => {
  await f?.close();
  f = undefined;
});

const errorOf = async (res: { status: number; json(): Promise<any> }) => ({ status: res.status, ...(await res.json()).error });

describe('luna api: auth, tenancy and errors', () => {
  it('needs a live key, and one account never sees another account\'s stories', async () => {
    f = await apiFixture();
    expect(await errorOf(await f.req('GET', '/v1/stories', { key: null }))).toMatchObject({ status: 401, code: 'unauthorized', hint: expect.stringContaining('Bearer') });
    expect((await f.req('GET', '/v1/stories', { key: 'luna_notakeyatallnotakeyatallnotakeyatall' })).status).toBe(401);
    const extra = await f.fx.store.createApiKey('a', 'old');
    await f.fx.store.revokeApiKey(extra.key.id);
    expect(await errorOf(await f.req('GET', '/v1/stories', { key: extra.secret }))).toMatchObject({ status: 403, code: 'key_revoked' });

    const mine = await (await f.req('POST', '/v1/stories', { body: { title: 'A secret' } })).json();
    const b = f.keys.b!;
    expect((await (await f.req('GET', '/v1/stories', { key: b })).json()).data).toEqual([]);
    for (const [method, path, body] of [
      ['GET', `/v1/stories/${mine.id}`],
      ['GET', `/v1/stories/${mine.id}/turns`],
      ['GET', `/v1/stories/${mine.id}/export`],
      ['GET', `/v1/stories/${mine.id}/entities`],
      ['GET', `/v1/jobs?story=${mine.id}`],
      ['POST', `/v1/stories/${mine.id}/turns`, { action: 'steal' }],
      ['POST', `/v1/stories/${mine.id}/undo`],
      ['DELETE', `/v1/stories/${mine.id}`],
    ] as const) {
      expect(await errorOf(await f.req(method, path, { key: b, body }))).toMatchObject({ status: 404, code: 'not_found' });
    }
    expect(await f.fx.store.getStory(mine.id)).not.toBeNull();
    expect(f.fx.strategist.requests).toHaveLength(0);
  });

  it('bad input is 400 with the path named; oversize bodies 413; unknown stories and routes 404', async () => {
    f = await apiFixture({ bodyLimit: 2048 });
    expect(await errorOf(await f.req('POST', '/v1/stories', { raw: '{"title": ' }))).toMatchObject({ status: 400, code: 'bad_request', message: expect.stringContaining('malformed JSON') });
    expect(await errorOf(await f.req('POST', '/v1/stories', { body: { title: 7 } }))).toMatchObject({ status: 400, message: 'body.title: must be string' });
    expect(await errorOf(await f.req('POST', '/v1/stories', { body: { title: 'x', colour: 'red' } }))).toMatchObject({ status: 400, message: 'body.colour: unknown field' });
    expect(await errorOf(await f.req('POST', '/v1/stories', { body: {} }))).toMatchObject({ status: 400, message: 'body.title: required' });
    expect(await errorOf(await f.req('POST', '/v1/stories', { body: { title: '   ' } }))).toMatchObject({ status: 400, message: expect.stringContaining('blank') });
    expect(await errorOf(await f.req('POST', '/v1/stories', { body: { title: 'x', premise: 'p'.repeat(5000) } }))).toMatchObject({ status: 413, code: 'body_too_large' });
    expect(await errorOf(await f.req('GET', '/v1/stories?limit=0'))).toMatchObject({ status: 400, message: expect.stringContaining('querystring.limit') });
    expect(await errorOf(await f.req('POST', '/v1/stories/import', { body: { title: 'x', premise: 'p', turns: [{ action: 1 }] } }))).toMatchObject({ status: 400, message: expect.stringContaining('body.turns.0.action') });
    const s = await (await f.req('POST', '/v1/stories', { body: { title: 'x' } })).json();
    expect(await errorOf(await f.req('POST', `/v1/stories/${s.id}/turns`, { body: { action: 'go', mode: 'sideways' } }))).toMatchObject({ status: 400, message: expect.stringContaining('body.mode: must be one of') });
    expect(await errorOf(await f.req('POST', `/v1/stories/${s.id}/turns`, { body: { action: '  ' } }))).toMatchObject({ status: 400, message: 'the action is empty' });
    expect(await errorOf(await f.req('GET', '/v1/stories/nope'))).toMatchObject({ status: 404, code: 'not_found' });
    expect(await errorOf(await f.req('GET', `/v1/stories/${s.id}/turns/nope`))).toMatchObject({ status: 404 });
    expect(await errorOf(await f.req('GET', '/v1/nothing-here'))).toMatchObject({ status: 404, code: 'not_found' });
  });

  it('a tier quota that is used up refuses the turn with 402 before any model call', async () => {
    f = await apiFixture({}, { cost: { tiers: { free: { turnsPerMonth: 0 } } } });
    const s = await (await f.req('POST', '/v1/stories', { body: { title: 'x' } })).json();
    expect(await errorOf(await f.req('POST', `/v1/stories/${s.id}/turns`, { body: { action: 'go' } }))).toMatchObject({ status: 402, code: 'budget_exceeded' });
    expect(f.fx.strategist.requests).toHaveLength(0);
  });

  it('rate limits per key with 429 and Retry-After, counted in /metrics', async () => {
    f = await apiFixture({ rateLimit: 3, rateWindowMs: 60_000 });
    for (let i = 0; i < 3; i++) expect((await f.req('GET', '/v1/stories')).status).toBe(200);
    const res = await f.req('GET', '/v1/stories');
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await res.json()).error).toMatchObject({ code: 'rate_limited' });
    // Another key has its own allowance.
    expect((await f.req('GET', '/v1/stories', { key: f.keys.b })).status).toBe(200);
    expect(await (await f.req('GET', '/metrics')).text()).toMatch(/luna_api_rate_limited_total 1/);
  });

  it('admission control: beyond the in-flight limit a turn gets 503 with Retry-After; SIGTERM-style shutdown cancels the running turn', async () => {
    f = await apiFixture({ maxInFlight: 1 });
    const s1 = await (await f.req('POST', '/v1/stories', { body: { title: 'one' } })).json();
    const s2 = await (await f.req('POST', '/v1/stories', { body: { title: 'two' } })).json();
    f.fx.strategist.script({ kind: 'json', value: planJson() });
    f.fx.writer.script({ kind: 'hang' });
    const first = await f.req('POST', `/v1/stories/${s1.id}/turns`, { body: { action: 'wait' }, headers: { accept: 'text/event-stream' } });
    const events: string[] = [];
    const reading = readSse(first, (e) => void events.push(e.event));
    await until(() => events.includes('prose-token') || events.filter((e) => e === 'stage-started').length >= 3);
    const res = await f.req('POST', `/v1/stories/${s2.id}/turns`, { body: { action: 'me too' } });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    expect((await res.json()).error.code).toBe('overloaded');
    expect(await (await f.req('GET', '/metrics')).text()).toMatch(/luna_api_turns_in_flight 1/);

    const stopping = f.api.shutdown(50);
    expect((await f.req('GET', '/readyz', { key: null })).status).toBe(503);
    await stopping;
    const all = await reading;
    expect(all.at(-1)).toMatchObject({ event: 'error', data: expect.objectContaining({ cancelled: true }) });
    expect(await f.fx.store.countTurns(s1.id)).toBe(0);
    const calls = await f.fx.store.listCalls({ storyId: s1.id });
    expect(calls.map((c) => c.agent)).toContain('strategist');
    expect(calls.every((c) => c.turnId === null)).toBe(true);
  });

  it('health, readiness, metrics and the OpenAPI 3.1 document; logs are JSON with request ids and no secrets or stacks', async () => {
    f = await apiFixture();
    expect(await (await f.req('GET', '/healthz', { key: null })).json()).toEqual({ ok: true });
    expect(await (await f.req('GET', '/readyz', { key: null })).json()).toMatchObject({ ok: true });
    const metrics = await (await f.req('GET', '/metrics', { key: null })).text();
    for (const name of ['luna_api_turns_total', 'luna_api_turn_seconds', 'luna_api_ttft_seconds', 'luna_api_tokens_total', 'luna_api_cost_usd_total', 'luna_api_turns_in_flight', 'luna_api_rate_limited_total', 'luna_api_sse_connections']) {
      expect(metrics).toContain(`# TYPE ${name}`);
    }
    const doc = await (await f.req('GET', '/openapi.json', { key: null })).json();
    expect(doc.openapi).toBe('3.1.0');
    for (const p of ['/v1/stories', '/v1/stories/{id}/turns', '/v1/chat/completions', '/v1/models', '/v1/cost']) expect(doc.paths).toHaveProperty([p]);
    expect(doc.paths['/v1/stories'].post.requestBody.content['application/json'].schema.required).toEqual(['title']);
    // /docs: a self-contained page (no CDN) that reads the document; its script at least parses.
    const page = await f.req('GET', '/docs', { key: null });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toMatch(/connect-src 'self'/);
    const html = await page.text();
    expect(html).toContain("fetch('/openapi.json')");
    expect(html).not.toMatch(/https?:\/\//);
    const script = /<script>([\s\S]*)<\/script>/.exec(html)![1]!;
    expect(() => new Function(script)).not.toThrow();

    const res = await f.req('GET', '/v1/stories', { headers: { 'x-request-id': 'req-abc-123' } });
    expect(res.headers.get('x-request-id')).toBe('req-abc-123');
    await f.req('GET', '/v1/stories', { key: f.keys.a + 'x' });
    const lines = f.logs.join('').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.some((l) => l.reqId === 'req-abc-123')).toBe(true);
    const text = f.logs.join('');
    expect(text).not.toContain(f.keys.a!.slice(13));
    expect(text).not.toMatch(/\n\s+at /);
  });
});
