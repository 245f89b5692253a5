import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { luna, startApiServe, tempHome } from '../helpers/cli.js';
import { startOpenAIServer, type LoopbackServer } from '../helpers/openai-server.js';
import { startOtlpCollector, type OtlpCollector } from '../helpers/otlp-collector.js';
import { planJson } from '../helpers/pipeline-fixture.js';

const NO_OTEL = { OTEL_EXPORTER_OTLP_ENDPOINT: '', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: '', OTEL_SDK_DISABLED: '', OTEL_TRACES_EXPORTER: '', OTEL_SERVICE_NAME: '' };
let model: LoopbackServer;
let collector: OtlpCollector;
let child: ReturnType<typeof execa> | undefined;

beforeAll(async () => {
  model = await startOpenAIServer();
  collector = await startOtlpCollector();
});
afterAll(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  await model.close();
  await collector.close();
});

describe('luna api serve (the built CLI) with tracing on', () => {
  it('a turn requested with traceparent is in the caller\'s trace, under the request span; SIGTERM flushes', async () => {
    const home = tempHome('luna-otel-api-');
    writeFileSync(path.join(home, 'luna.yaml'), stringify({
      models: { loop: { provider: 'openai-compatible', baseUrl: model.baseUrl, model: 'loop-1', maxRetries: 0, price: { inputPerMTok: 1, outputPerMTok: 5 } } },
      agents: { preprocessor: { model: 'loop' }, strategist: { model: 'loop' }, writer: { model: 'loop' }, dreamer: { model: 'loop', inProcess: false } },
      // A generous export timeout: the assertions read the collector right after exit, on a machine that may be slow.
      telemetry: { otlp: { endpoint: collector.url, timeoutMs: 15000 }, serviceName: 'luna-api' },
    }));
    const acct = await luna(['account', 'create', 'tracer', '--json'], { home, env: NO_OTEL });
    expect(acct.exitCode, acct.stderr).toBe(0);
    const accountId = JSON.parse(acct.stdout).id as string;
    const key = JSON.parse((await luna(['account', 'keys', 'create', accountId, '--json'], { home, env: NO_OTEL })).stdout).secret as string;

    const served = await startApiServe(home, NO_OTEL);
    child = served.child;
    const url = served.url;
    const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
    const story = await (await fetch(`${url}/v1/stories`, { method: 'POST', headers, body: JSON.stringify({ title: 'Served', premise: 'Maren keeps the light' }) })).json() as { id: string };
    const traceId = randomBytes(16).toString('hex');
    const parent = randomBytes(8).toString('hex');
    model.script({ kind: 'json', value: planJson(), usage: { prompt_tokens: 120, completion_tokens: 40 } }, { kind: 'text', chunks: ['The lamp ', 'is lit.'], usage: { prompt_tokens: 300, completion_tokens: 5 } });
    const res = await fetch(`${url}/v1/stories/${story.id}/turns`, { method: 'POST', headers: { ...headers, traceparent: `00-${traceId}-${parent}-01` }, body: JSON.stringify({ action: 'I light the lamp' }) });
    expect(res.status).toBe(200);
    child.kill('SIGTERM');
    const r = await child;
    expect(r.exitCode).toBe(0);

    // Everything was sent before the process exited.
    const spans = collector.spans().filter((s) => s.traceId === traceId);
    const request = spans.find((s) => s.name === 'POST /v1/stories/:id/turns')!;
    const turn = spans.find((s) => s.name === 'luna.turn')!;
    expect(request.parentSpanId).toBe(parent);
    expect(turn.parentSpanId).toBe(request.spanId);
    expect(turn.resource['service.name']).toBe('luna-api');
    expect(spans.filter((s) => s.name === 'chat loop-1').map((s) => [s.attrs['luna.agent'], s.attrs['gen_ai.usage.input_tokens'], s.attrs['gen_ai.usage.output_tokens']])).toEqual([['strategist', 120, 40], ['writer', 300, 5]]);
    expect(collector.rejected).toEqual([]);
  }, 90_000);
});
