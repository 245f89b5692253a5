import { randomBytes } from 'node:crypto';

/** A span's identity as W3C Trace Context carries it between processes. */
export interface SpanContext {
  /** 32 lowercase hex digits, not all zero. */
  traceId: string;
  /** 16 lowercase hex digits, not all zero. */
  spanId: string;
  /** The sampled flag: false means the caller chose not to record this trace, and neither do we. */
  sampled: boolean;
  /** Vendor data riding along (the `tracestate` header), passed through untouched. */
  traceState?: string;
  /** True for a context that came from another process (an incoming `traceparent`). */
  remote?: boolean;
}

const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

export function newTraceId(): string {
  let id = ZERO_TRACE;
  while (id === ZERO_TRACE) id = randomBytes(16).toString('hex');
  return id;
}

export function newSpanId(): string {
  let id = ZERO_SPAN;
  while (id === ZERO_SPAN) id = randomBytes(8).toString('hex');
  return id;
}

/**
 * Parses a `traceparent` header (W3C Trace Context level 1). Anything malformed yields null: the spec says to
 * ignore such a header and start a new trace, never to fail the request. Version ff is invalid; version 00 has
 * exactly four fields; a later version may append fields, which are ignored.
 */
export function parseTraceparent(header: string | string[] | undefined, tracestate?: string | string[]): SpanContext | null {
  if (typeof header !== 'string') return null;
  const m = TRACEPARENT.exec(header.trim());
  if (!m) return null;
  const [, version, traceId, spanId, flags, rest] = m as unknown as [string, string, string, string, string, string | undefined];
  if (version === 'ff' || (version === '00' && rest !== undefined)) return null;
  if (traceId === ZERO_TRACE || spanId === ZERO_SPAN) return null;
  const state = Array.isArray(tracestate) ? tracestate.join(',') : tracestate;
  return { traceId, spanId, sampled: (parseInt(flags, 16) & 1) === 1, remote: true, ...(state?.trim() ? { traceState: state.trim() } : {}) };
}

export function formatTraceparent(ctx: SpanContext): string {
  return `00-${ctx.traceId}-${ctx.spanId}-${ctx.sampled ? '01' : '00'}`;
}
