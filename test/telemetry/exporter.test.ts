import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { openTelemetry } from '../../src/telemetry/open.js';
import { startOtlpCollector, type OtlpCollector } from '../helpers/otlp-collector.js';

let collector: OtlpCollector;
beforeAll(async () => {
  collector = await startOtlpCollector();
});
afterAll(async () => {
  await collector.close();
});

const config = (endpoint: string) => configSchema.parse({ agents: { preprocessor: { model: 'm' }, strategist: { model: 'm' }, writer: { model: 'm' }, dreamer: { model: 'm' } }, telemetry: { otlp: { endpoint } } });

describe('the OTLP exporter against a collector that refuses, then recovers', () => {
  it('drops the refused batch (said at debug level), keeps later spans and delivers them once it answers', async () => {
    const notes: string[] = [];
    const telemetry = await openTelemetry(config(collector.url), { env: {}, debug: (m) => notes.push(m) });
    collector.refuseNext(1, 503);
    telemetry.startSpan('first')!.end();
    await collector.waitFor(() => collector.rejected.length === 1);
    telemetry.startSpan('second')!.end();
    telemetry.startSpan('third')!.end();
    const spans = await collector.waitFor((s) => s.some((x) => x.name === 'third'));
    expect(spans.map((s) => s.name).sort()).toEqual(['second', 'third']);
    expect(notes).toEqual([expect.stringMatching(/^telemetry: http:\/\/127\.0\.0\.1:\d+\/v1\/traces answered 503 to 1 span\(s\)/)]);
    await telemetry.shutdown();
  });

  it('a span still open holds its batch back; nothing is lost at shutdown', async () => {
    const telemetry = await openTelemetry(config(collector.url), { env: {} });
    const before = collector.requests.length;
    const outer = telemetry.startSpan('outer')!;
    telemetry.startSpan('inner', { parent: outer })!.end();
    outer.end();
    await telemetry.shutdown();
    const sent = collector.requests.slice(before);
    // One request: the inner span waited for the outer one.
    expect(sent).toHaveLength(1);
    const names = sent[0]!.body.resourceSpans[0].scopeSpans[0].spans.map((s: { name: string }) => s.name);
    expect(names).toEqual(['inner', 'outer']);
  });
});
