import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiFixture, readSse, type ApiFixture } from '../api/api-fixture.js';
import { startOtlpCollector, type CollectedSpan, type OtlpCollector } from '../helpers/otlp-collector.js';
import { planJson } from '../helpers/pipeline-fixture.js';

let f: ApiFixture;
let collector: OtlpCollector;

beforeAll(async () => {
  collector = await startOtlpCollector();
  f = await apiFixture({}, { telemetry: { otlp: { endpoint: collector.url }, serviceName: 'luna-api-test' } });
});
afterAll(async () => {
  await f.close();
  await collector.close();
});

const hex = (bytes: number) => randomBytes(bytes).toString('hex');
const script = () => {
  f.fx.strategist.script({ kind: 'json', value: planJson(), usage: { prompt_tokens: 900, completion_tokens: 120 } });
  f.fx.writer.script({ kind: 'text', chunks: ['Maren lifts ', 'Dawnbreaker.'], usage: { prompt_tokens: 1500, completion_tokens: 40 } });
};

async function story(): Promise<string> {
  const res = await f.req('POST', '/v1/stories', { body: { title: 'Traced', premise: 'A keeper named Maren finds a stranger on the rocks.' } });
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

/** The request span, the turn under it and the stages under that, for the trace `traceId`. */
async function traceOf(traceId: string, route: string): Promise<{ request: CollectedSpan; turn: CollectedSpan; spans: CollectedSpan[] }> {
  const spans = (await collector.waitFor((s) => s.some((x) => x.traceId === traceId && x.name === route) && s.some((x) => x.traceId === traceId && x.name === 'luna.turn'))).filter((s) => s.traceId === traceId);
  return { request: spans.find((s) => s.name === route)!, turn: spans.find((s) => s.name === 'luna.turn')!, spans };
}

describe('luna api tracing', () => {
  it('joins the caller\'s trace from traceparent: request span (server) > turn > stages > model calls', async () => {
    const id = await story();
    const traceId = hex(16);
    const parent = hex(8);
    script();
    const res = await f.req('POST', `/v1/stories/${id}/turns`, { body: { action: 'I ask the stranger who sent him' }, headers: { traceparent: `00-${traceId}-${parent}-01`, tracestate: 'vendor=abc' } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { turn: { id: string } };
    const { request, turn, spans } = await traceOf(traceId, 'POST /v1/stories/:id/turns');
    expect(request.parentSpanId).toBe(parent);
    expect(request.kind).toBe(2);
    expect(request.attrs).toMatchObject({ 'http.request.method': 'POST', 'http.route': '/v1/stories/:id/turns', 'http.response.status_code': 200, 'luna.account.id': 'a' });
    expect(turn.parentSpanId).toBe(request.spanId);
    expect(turn.attrs).toMatchObject({ 'luna.turn.id': body.turn.id, 'luna.front_end': 'api', 'luna.turn.input_tokens': 2400, 'luna.turn.output_tokens': 160 });
    for (const stage of ['luna.preprocessor', 'luna.strategist', 'luna.writer', 'luna.commit']) expect(spans.find((s) => s.name === stage)?.parentSpanId, stage).toBe(turn.spanId);
    const strategist = spans.find((s) => s.name === 'chat planner-1')!;
    expect(spans.find((s) => s.spanId === strategist.parentSpanId)?.name).toBe('luna.strategist');
    expect(strategist.attrs).toMatchObject({ 'gen_ai.usage.input_tokens': 900, 'gen_ai.usage.output_tokens': 120, 'luna.cost_usd': (900 * 1 + 120 * 5) / 1e6 });
    expect(spans.find((s) => s.name === 'chat scribe-1')?.attrs).toMatchObject({ 'luna.agent': 'writer', 'gen_ai.usage.input_tokens': 1500, 'gen_ai.usage.output_tokens': 40 });
    // The request span covers the whole turn; vendor trace state rides along.
    expect(BigInt(request.endTimeUnixNano) >= BigInt(turn.endTimeUnixNano)).toBe(true);
    expect(collector.requests.some((r) => JSON.stringify(r.body).includes('"traceState":"vendor=abc"'))).toBe(true);
    expect(turn.resource['service.name']).toBe('luna-api-test');
  });

  it('an SSE turn stays inside its request span', async () => {
    const id = await story();
    const traceId = hex(16);
    script();
    const res = await f.req('POST', `/v1/stories/${id}/turns`, { body: { action: 'I wait' }, headers: { accept: 'text/event-stream', traceparent: `00-${traceId}-${hex(8)}-01` } });
    const events = await readSse(res);
    expect(events.at(-1)?.event).toBe('done');
    const { request, turn } = await traceOf(traceId, 'POST /v1/stories/:id/turns');
    expect(turn.parentSpanId).toBe(request.spanId);
    expect(request.attrs['http.response.status_code']).toBe(200);
    expect(BigInt(request.endTimeUnixNano) >= BigInt(turn.endTimeUnixNano)).toBe(true);
  });

  it('a client that goes away mid-turn: the cancelled turn and the aborted request still end their spans', async () => {
    const id = await story();
    const traceId = hex(16);
    f.fx.strategist.script({ kind: 'json', value: planJson(), usage: { prompt_tokens: 900, completion_tokens: 120 } });
    f.fx.writer.script({ kind: 'hang' });
    const ctrl = new AbortController();
    const res = await f.req('POST', `/v1/stories/${id}/turns`, { body: { action: 'I wait' }, headers: { accept: 'text/event-stream', traceparent: `00-${traceId}-${hex(8)}-01` }, signal: ctrl.signal });
    await readSse(res, (e) => e.event === 'stage-started' && e.data.stage === 'writer');
    ctrl.abort();
    const { request, turn, spans } = await traceOf(traceId, 'POST /v1/stories/:id/turns');
    expect(turn.parentSpanId).toBe(request.spanId);
    expect(turn.attrs).toMatchObject({ 'luna.turn.cancelled': true });
    // Cancelling is not a fault (luna top does not count it as an error either).
    expect(turn.status.code).toBe(0);
    expect(request.attrs['luna.request.aborted']).toBe(true);
    expect(spans.find((s) => s.name === 'chat planner-1')?.attrs).toMatchObject({ 'luna.agent': 'strategist', 'luna.call.outcome': 'ok' });
    expect(spans.find((s) => s.name === 'luna.writer')).toBeDefined();
  });

  it('the OpenAI-compatible facade is traced the same way', async () => {
    const traceId = hex(16);
    script();
    const res = await f.req('POST', '/v1/chat/completions', { body: { model: 'luna', messages: [{ role: 'user', content: 'I light the lamp' }] }, headers: { traceparent: `00-${traceId}-${hex(8)}-01` } });
    expect(res.status).toBe(200);
    const { request, turn } = await traceOf(traceId, 'POST /v1/chat/completions');
    expect(turn.parentSpanId).toBe(request.spanId);
  });

  it('a traceparent with the sampled flag off records nothing of that trace; a malformed one starts a new trace', async () => {
    const id = await story();
    const unsampled = hex(16);
    script();
    expect((await f.req('POST', `/v1/stories/${id}/turns`, { body: { action: 'I wait' }, headers: { traceparent: `00-${unsampled}-${hex(8)}-00` } })).status).toBe(200);
    const bad = hex(16);
    script();
    const res = await f.req('POST', `/v1/stories/${id}/turns`, { body: { action: 'I wait again' }, headers: { traceparent: `00-${bad.toUpperCase()}-${hex(8)}-01` } });
    const turnId = ((await res.json()) as { turn: { id: string } }).turn.id;
    const spans = await collector.waitFor((s) => s.some((x) => x.attrs['luna.turn.id'] === turnId));
    const turn = spans.find((x) => x.attrs['luna.turn.id'] === turnId)!;
    const request = spans.find((x) => x.spanId === turn.parentSpanId)!;
    expect(request.name).toBe('POST /v1/stories/:id/turns');
    expect(request.parentSpanId).toBeUndefined();
    expect(request.traceId).not.toBe(bad.toLowerCase());
    expect(spans.some((x) => x.traceId === unsampled)).toBe(false);
  });

  it('health checks and metrics scrapes are not traced', async () => {
    const before = collector.spans().length;
    const traceId = hex(16);
    await fetch(`${f.url}/healthz`, { headers: { traceparent: `00-${traceId}-${hex(8)}-01` } });
    await fetch(`${f.url}/metrics`);
    // A traced request after them: once it arrives, anything the two above sent would have too.
    expect((await f.req('GET', '/v1/stories', { headers: { traceparent: `00-${traceId}-${hex(8)}-01` } })).status).toBe(200);
    const spans = await collector.waitFor((s) => s.some((x) => x.traceId === traceId && x.name === 'GET /v1/stories'));
    expect(spans.slice(before).filter((x) => x.traceId === traceId).map((x) => x.name)).toEqual(['GET /v1/stories']);
    expect(spans.some((x) => /healthz|metrics/.test(x.name))).toBe(false);
  });
});
