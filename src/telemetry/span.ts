import { newSpanId, newTraceId, type SpanContext } from './trace-context.js';

export type AttributeValue = string | number | boolean;
export type Attributes = Record<string, AttributeValue | null | undefined>;
export type SpanKind = 'internal' | 'server' | 'client';

/** A finished span as the exporter encodes it. Times are Unix epoch nanoseconds. */
export interface SpanData {
  name: string;
  kind: SpanKind;
  context: SpanContext;
  parentSpanId: string | null;
  parentRemote: boolean;
  startNs: bigint;
  endNs: bigint;
  attributes: Record<string, AttributeValue>;
  events: { name: string; timeNs: bigint; attributes: Record<string, AttributeValue> }[];
  status: { code: 'unset' | 'ok' | 'error'; message?: string };
}

/** Wall-clock milliseconds with sub-millisecond precision (monotonic within the process). */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

/** Milliseconds since the epoch to nanoseconds, without the float rounding `ms * 1e6` would suffer at 1.7e18. */
export function msToNs(ms: number): bigint {
  const whole = Math.floor(ms);
  return BigInt(whole) * 1_000_000n + BigInt(Math.round((ms - whole) * 1e6));
}

export interface StartOptions {
  kind?: SpanKind;
  /** The parent: a span of this process, a context from a `traceparent` header, or none (a new trace). */
  parent?: Span | SpanContext | null;
  attributes?: Attributes;
  /** Epoch milliseconds; default now. */
  startMs?: number;
}

/**
 * One span. Unsampled spans (a caller sent `traceparent` with the sampled flag off) still carry their context,
 * so children stay in the caller's trace unrecorded; they are never exported.
 */
export class Span {
  readonly context: SpanContext;
  private readonly data: Omit<SpanData, 'endNs'>;
  private ended = false;

  constructor(name: string, opts: StartOptions, private readonly onEnd: (span: SpanData | null) => void) {
    const parent = opts.parent instanceof Span ? opts.parent.context : (opts.parent ?? null);
    this.context = {
      traceId: parent?.traceId ?? newTraceId(),
      spanId: newSpanId(),
      sampled: parent?.sampled ?? true,
      ...(parent?.traceState ? { traceState: parent.traceState } : {}),
    };
    this.data = {
      name,
      kind: opts.kind ?? 'internal',
      context: this.context,
      parentSpanId: parent?.spanId ?? null,
      parentRemote: Boolean(parent?.remote),
      startNs: msToNs(opts.startMs ?? nowMs()),
      attributes: {},
      events: [],
      status: { code: 'unset' },
    };
    this.set(opts.attributes ?? {});
  }

  get recording(): boolean {
    return this.context.sampled && !this.ended;
  }

  /** Sets attributes; null and undefined values are skipped, as are non-finite numbers. */
  set(attributes: Attributes): this {
    for (const [k, v] of Object.entries(attributes)) {
      if (v === null || v === undefined || (typeof v === 'number' && !Number.isFinite(v))) continue;
      this.data.attributes[k] = v;
    }
    return this;
  }

  event(name: string, attributes: Attributes = {}, atMs?: number): this {
    const attrs: Record<string, AttributeValue> = {};
    for (const [k, v] of Object.entries(attributes)) if (v !== null && v !== undefined) attrs[k] = v;
    this.data.events.push({ name, timeNs: msToNs(atMs ?? nowMs()), attributes: attrs });
    return this;
  }

  fail(message: string): this {
    this.data.status = { code: 'error', message };
    return this;
  }

  /** Ends the span (once; later calls do nothing). `endMs` is epoch milliseconds, default now. */
  end(endMs?: number): void {
    if (this.ended) return;
    this.ended = true;
    if (!this.context.sampled) return this.onEnd(null);
    const endNs = msToNs(endMs ?? nowMs());
    this.onEnd({ ...this.data, endNs: endNs < this.data.startNs ? this.data.startNs : endNs });
  }
}
