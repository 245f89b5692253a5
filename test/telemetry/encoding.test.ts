import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { otlpAttributes, otlpSpan, otlpValue } from '../../src/telemetry/otlp-json.js';
import { resolveTelemetry, tracesUrl, parsePairs } from '../../src/telemetry/settings.js';
import { msToNs, Span, type SpanData } from '../../src/telemetry/span.js';
import { formatTraceparent, parseTraceparent } from '../../src/telemetry/trace-context.js';

const T = '4bf92f3577b34da6a3ce929d0e0e4736';
const S = '00f067aa0ba902b7';

describe('W3C traceparent', () => {
  it('parses the spec\'s example and formats it back', () => {
    const ctx = parseTraceparent(`00-${T}-${S}-01`, 'congo=t61rcWkgMzE');
    expect(ctx).toEqual({ traceId: T, spanId: S, sampled: true, remote: true, traceState: 'congo=t61rcWkgMzE' });
    expect(formatTraceparent(ctx!)).toBe(`00-${T}-${S}-01`);
    expect(parseTraceparent(`00-${T}-${S}-00`)?.sampled).toBe(false);
    expect(parseTraceparent(`00-${T}-${S}-03`)?.sampled).toBe(true);
  });

  it('ignores what the spec says to ignore', () => {
    for (const bad of [
      undefined,
      '',
      `00-${T.toUpperCase()}-${S}-01`, // uppercase hex
      `00-${'0'.repeat(32)}-${S}-01`, // all-zero trace id
      `00-${T}-${'0'.repeat(16)}-01`, // all-zero parent id
      `ff-${T}-${S}-01`, // version ff
      `00-${T}-${S}-01-extra`, // version 00 has exactly four fields
      `00-${T.slice(1)}-${S}-01`,
      `00-${T}-${S}-1`,
      `00_${T}_${S}_01`,
    ]) expect(parseTraceparent(bad), String(bad)).toBeNull();
    // A later version may append fields; the first four still count.
    expect(parseTraceparent(`01-${T}-${S}-01-whatever`)?.traceId).toBe(T);
    expect(parseTraceparent([`00-${T}-${S}-01`, `00-${T}-${S}-01`])).toBeNull();
  });
});

describe('OTLP/JSON encoding', () => {
  it('integers as decimal strings, other numbers as doubles, strings and booleans as such', () => {
    expect(otlpValue(42)).toEqual({ intValue: '42' });
    expect(otlpValue(0.00032)).toEqual({ doubleValue: 0.00032 });
    expect(otlpValue('x')).toEqual({ stringValue: 'x' });
    expect(otlpValue(false)).toEqual({ boolValue: false });
    // Money stays a double when it is whole (a free model's 0), so the attribute has one type on every span.
    expect(otlpAttributes({ 'luna.cost_usd': 0, 'luna.context.compression': 1, 'luna.turn.depth': 3 })).toEqual([
      { key: 'luna.cost_usd', value: { doubleValue: 0 } },
      { key: 'luna.context.compression', value: { doubleValue: 1 } },
      { key: 'luna.turn.depth', value: { intValue: '3' } },
    ]);
  });

  it('epoch milliseconds become exact nanoseconds', () => {
    // A double this size carries ~0.24 µs of resolution; whatever it holds converts without a float multiply.
    expect(msToNs(1_733_450_000_123.25)).toBe(1_733_450_000_123_250_000n);
    expect(msToNs(1_733_450_000_999.5)).toBe(1_733_450_000_999_500_000n);
    expect(msToNs(0)).toBe(0n);
  });

  it('a span: hex ids, string times, numeric kind and status, parent flags', () => {
    let data: SpanData | null = null;
    const parent = parseTraceparent(`00-${T}-${S}-01`)!;
    const span = new Span('chat m', { kind: 'client', parent, startMs: 1000, attributes: { a: 1, b: null, c: Number.NaN } }, (d) => (data = d));
    span.fail('boom').end(1002.5);
    const o = otlpSpan(data!);
    expect(o).toMatchObject({ traceId: T, parentSpanId: S, name: 'chat m', kind: 3, startTimeUnixNano: '1000000000', endTimeUnixNano: '1002500000', status: { code: 2, message: 'boom' }, flags: 0x301 });
    expect(o.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(o.attributes).toEqual([{ key: 'a', value: { intValue: '1' } }]);
  });

  it('an unsampled span is never handed over', () => {
    const got: unknown[] = [];
    new Span('x', { parent: parseTraceparent(`00-${T}-${S}-00`) }, (d) => got.push(d)).end();
    expect(got).toEqual([null]);
  });
});

describe('settings', () => {
  const config = (telemetry: unknown = {}) => configSchema.parse({ agents: { preprocessor: { model: 'm' }, strategist: { model: 'm' }, writer: { model: 'm' }, dreamer: { model: 'm' } }, telemetry });

  it('off by default; the config wins over the environment; the signal path is appended once', () => {
    expect(resolveTelemetry(config(), {})).toBeNull();
    expect(resolveTelemetry(config(), { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' })?.url).toBe('http://c:4318/v1/traces');
    expect(resolveTelemetry(config(), { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318/base/', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://t:1/custom' })?.url).toBe('http://t:1/custom');
    expect(resolveTelemetry(config({ otlp: { endpoint: 'https://x.example/otlp' } }), { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' })?.url).toBe('https://x.example/otlp/v1/traces');
    expect(tracesUrl('http://c:4318/v1/traces')).toBe('http://c:4318/v1/traces');
  });

  it('headers from OTEL_EXPORTER_OTLP_HEADERS (percent-decoded) under the config\'s; service name and resource', () => {
    const s = resolveTelemetry(config({ otlp: { endpoint: 'http://c:4318', headers: { b: 'config' } } }), { OTEL_EXPORTER_OTLP_HEADERS: 'a=1%2C2, b=env', OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=prod,service.name=res' })!;
    expect(s.headers).toEqual({ a: '1,2', b: 'config' });
    expect(s.serviceName).toBe('res');
    expect(s.resource).toEqual({ 'deployment.environment': 'prod' });
    expect(parsePairs('=x,k=,novalue,k2=v2')).toEqual({ k: '', k2: 'v2' });
    // Credentials in the URL become Basic auth (fetch refuses them in a URL, and messages must not show them).
    const basic = resolveTelemetry(config({ otlp: { endpoint: 'https://me:s%40cret@c.example:4318' } }), {})!;
    expect(basic.url).toBe('https://c.example:4318/v1/traces');
    expect(basic.headers.authorization).toBe(`Basic ${Buffer.from('me:s@cret').toString('base64')}`);
  });

  it('kill switches, and a stray non-URL variable leaves tracing off with a debug note', () => {
    const on = config({ otlp: { endpoint: 'http://c:4318' } });
    expect(resolveTelemetry(on, { OTEL_SDK_DISABLED: 'TRUE' })).toBeNull();
    expect(resolveTelemetry(on, { OTEL_TRACES_EXPORTER: 'none' })).toBeNull();
    const notes: string[] = [];
    expect(resolveTelemetry(config(), { OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' }, (m) => notes.push(m))).toBeNull();
    expect(notes).toEqual([expect.stringMatching(/OTEL_EXPORTER_OTLP_ENDPOINT is not an http\(s\) URL/)]);
  });
});
