import { exportTraceRequest, type OtlpScope } from './otlp-json.js';
import { createPoster } from './post.js';
import type { AttributeValue, SpanData } from './span.js';
import type { TelemetrySettings } from './settings.js';

export interface ExporterOptions {
  settings: TelemetrySettings;
  resource: Record<string, AttributeValue>;
  scope: OtlpScope;
  /** Debug-only log: export failures never reach the player. */
  debug?: (message: string) => void;
  /** Spans sent in one request at most (default 512). */
  maxBatch?: number;
  /** Ended spans of a trace still open wait at most this long (default 5 s): a long turn still reports. */
  delayMs?: number;
  /** A finished trace is sent this much later (default 100 ms), so traces that finish together share a request. */
  lingerMs?: number;
  /** Spans held at most while the collector does not take them; older ones are dropped (default 4096). */
  maxQueue?: number;
}

/**
 * Batches ended spans and POSTs them as OTLP/JSON to `<endpoint>/v1/traces`. A batch goes out `lingerMs` after
 * a trace's last open span ends (a turn, with its stages and calls, is one batch; turns finishing together share
 * one), when it is full, or `delayMs` after its first span while a long trace is still open. Sending is fire-and-forget with a timeout; a failure drops the batch
 * and says so at debug level only, and holds later batches back for a while (1 s, doubling to 30 s) so a dead
 * collector does not cost every turn a connection attempt; they go out together when it answers again (at most
 * `maxQueue` spans are kept). `shutdown` sends what is left and waits at most `timeoutMs` for it all.
 */
export class OtlpHttpExporter {
  private buffer: SpanData[] = [];
  /** Spans still open, per trace id. */
  private readonly open = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  private timerDue = 0;
  private readonly inFlight = new Set<{ done: Promise<void>; abort: AbortController }>();
  private readonly maxBatch: number;
  private readonly delayMs: number;
  private readonly lingerMs: number;
  private readonly maxQueue: number;
  private dropped = 0;
  private failures = 0;
  private pausedUntil = 0;
  private readonly post: ReturnType<typeof createPoster>;

  constructor(private readonly o: ExporterOptions) {
    this.post = createPoster(o.settings.url);
    this.maxBatch = o.maxBatch ?? 512;
    this.delayMs = o.delayMs ?? 5000;
    this.lingerMs = o.lingerMs ?? 100;
    this.maxQueue = o.maxQueue ?? 4096;
  }

  /** A span of `traceId` started: that trace's batch waits for it (up to `delayMs`). */
  started(traceId: string): void {
    this.open.set(traceId, (this.open.get(traceId) ?? 0) + 1);
  }

  /** A span of `traceId` ended (`span` is null for one that is not recorded). */
  ended(traceId: string, span: SpanData | null): void {
    const left = (this.open.get(traceId) ?? 1) - 1;
    if (left > 0) this.open.set(traceId, left);
    else this.open.delete(traceId);
    if (span) {
      this.buffer.push(span);
      if (this.buffer.length > this.maxQueue) this.dropped += this.buffer.splice(0, this.buffer.length - this.maxQueue).length;
    }
    if (!this.buffer.length) return;
    if (this.buffer.length >= this.maxBatch) return this.flush();
    this.schedule(left > 0 ? this.delayMs : this.lingerMs);
  }

  /** Flushes within `ms` (an earlier flush already due stays). */
  private schedule(ms: number): void {
    const due = Math.max(Date.now() + ms, this.pausedUntil);
    if (this.timer && this.timerDue <= due) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerDue = due;
    this.timer = setTimeout(() => this.flush(), due - Date.now()).unref();
  }

  /** Sends what is buffered now (without waiting for it); `force` ignores a pause after failures (shutdown). */
  flush(force = false): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.pausedUntil > Date.now() && !force) {
      if (this.buffer.length) this.schedule(0);
      return;
    }
    if (this.dropped) {
      this.o.debug?.(`telemetry: dropped ${this.dropped} span(s) the collector did not take in time`);
      this.dropped = 0;
    }
    while (this.buffer.length) this.send(this.buffer.splice(0, this.maxBatch));
  }

  /** Sends what is left and waits for every request, at most `timeoutMs`; then gives up on the rest. */
  async shutdown(): Promise<void> {
    this.flush(true);
    if (!this.inFlight.size) return;
    let timer: NodeJS.Timeout | undefined;
    const all = Promise.allSettled([...this.inFlight].map((r) => r.done));
    await Promise.race([all, new Promise<void>((r) => (timer = setTimeout(r, this.o.settings.timeoutMs)))]);
    clearTimeout(timer);
    for (const r of this.inFlight) r.abort.abort();
  }

  private send(spans: SpanData[]): void {
    const { settings } = this.o;
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), settings.timeoutMs);
    timer.unref();
    const body = JSON.stringify(exportTraceRequest(this.o.resource, this.o.scope, spans));
    const entry = { abort, done: Promise.resolve() };
    entry.done = (async () => {
      try {
        const { status, text } = await this.post(settings.headers, body, abort.signal);
        if (status < 200 || status > 299) {
          this.failed();
          this.o.debug?.(`telemetry: ${settings.url} answered ${status} to ${spans.length} span(s): ${text.slice(0, 200)}`);
          return;
        }
        this.failures = 0;
        this.pausedUntil = 0;
        if (/rejectedSpans/.test(text)) this.o.debug?.(`telemetry: the collector rejected part of a batch: ${text.slice(0, 200)}`);
      } catch (err) {
        this.failed();
        const why = abort.signal.aborted ? `no answer within ${settings.timeoutMs} ms` : describeError(err);
        this.o.debug?.(`telemetry: could not send ${spans.length} span(s) to ${settings.url}: ${why}`);
      } finally {
        clearTimeout(timer);
        this.inFlight.delete(entry);
      }
    })();
    this.inFlight.add(entry);
  }

  private failed(): void {
    this.pausedUntil = Date.now() + Math.min(30_000, 1000 * 2 ** this.failures);
    this.failures = Math.min(this.failures + 1, 10);
  }
}

function describeError(err: unknown): string {
  const e = err as { code?: string; message?: string };
  return e.code ?? e.message ?? String(err);
}
