import type { AttributeValue, SpanData, SpanKind } from './span.js';

/**
 * The OTLP/JSON encoding of an ExportTraceServiceRequest (opentelemetry-proto, JSON mapping): ids as hex strings
 * (OTLP's one exception to proto3's base64), 64-bit integers as decimal strings, enums as their numbers.
 */

export interface OtlpAnyValue {
  stringValue?: string;
  intValue?: string;
  doubleValue?: number;
  boolValue?: boolean;
}
export interface OtlpKeyValue {
  key: string;
  value: OtlpAnyValue;
}

const KIND: Record<SpanKind, number> = { internal: 1, server: 2, client: 3 };
const STATUS = { unset: 0, ok: 1, error: 2 } as const;
// Span.flags: bits 0-7 are the W3C trace flags; bit 8 says bit 9 is meaningful; bit 9 is "the parent is remote".
const HAS_IS_REMOTE = 0x100;
const IS_REMOTE = 0x200;

// Money and ratios are doubles even when they happen to be whole (a free model costs 0): one attribute keeps
// one type across spans, which backends need to aggregate it.
const DOUBLE_KEYS = /(?:_usd|\.compression)$/;

export function otlpValue(v: AttributeValue, double = false): OtlpAnyValue {
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  return !double && Number.isSafeInteger(v) ? { intValue: String(v) } : { doubleValue: v };
}

export function otlpAttributes(attrs: Record<string, AttributeValue>): OtlpKeyValue[] {
  return Object.entries(attrs).map(([key, v]) => ({ key, value: otlpValue(v, DOUBLE_KEYS.test(key)) }));
}

export function otlpSpan(s: SpanData) {
  return {
    traceId: s.context.traceId,
    spanId: s.context.spanId,
    ...(s.context.traceState ? { traceState: s.context.traceState } : {}),
    ...(s.parentSpanId ? { parentSpanId: s.parentSpanId } : {}),
    flags: (s.context.sampled ? 1 : 0) | (s.parentSpanId ? HAS_IS_REMOTE | (s.parentRemote ? IS_REMOTE : 0) : 0),
    name: s.name,
    kind: KIND[s.kind],
    startTimeUnixNano: String(s.startNs),
    endTimeUnixNano: String(s.endNs),
    attributes: otlpAttributes(s.attributes),
    events: s.events.map((e) => ({ timeUnixNano: String(e.timeNs), name: e.name, attributes: otlpAttributes(e.attributes) })),
    status: { code: STATUS[s.status.code], ...(s.status.message ? { message: s.status.message } : {}) },
  };
}

export type OtlpSpan = ReturnType<typeof otlpSpan>;

export interface OtlpScope {
  name: string;
  version: string;
}

export function exportTraceRequest(resource: Record<string, AttributeValue>, scope: OtlpScope, spans: SpanData[]) {
  return {
    resourceSpans: [
      {
        resource: { attributes: otlpAttributes(resource) },
        scopeSpans: [{ scope, spans: spans.map(otlpSpan) }],
      },
    ],
  };
}
