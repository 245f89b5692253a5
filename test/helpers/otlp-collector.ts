/**
 * A loopback OTLP/HTTP collector (127.0.0.1, ephemeral port) that takes what a real one takes on /v1/traces:
 * POSTed ExportTraceServiceRequest JSON, answered 200 with an ExportTraceServiceResponse. It keeps every request
 * and flattens the spans (with their resource attributes) for assertions. Anything that is not valid OTLP/JSON
 * (wrong path, method or content type, ids that are not hex of the right length, times that are not decimal
 * strings) is answered 400 and kept in `rejected`, so a sloppy exporter fails the tests.
 */
import { createServer } from 'node:http';
import { listenOnLoopback } from './listen.js';

export interface CollectedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  status: { code: number; message?: string };
  /** Attributes decoded: intValue to number, stringValue, doubleValue, boolValue as they are. */
  attrs: Record<string, string | number | boolean>;
  events: { name: string; attrs: Record<string, string | number | boolean> }[];
  resource: Record<string, string | number | boolean>;
  scope: { name: string; version?: string };
}

export interface OtlpCollector {
  /** Base URL (what telemetry.otlp.endpoint takes): http://127.0.0.1:PORT */
  url: string;
  requests: { path: string; headers: Record<string, string | string[] | undefined>; body: any }[];
  rejected: string[];
  spans(): CollectedSpan[];
  /** The next `n` exports are answered `status` (e.g. 503) and not kept, as an overloaded collector does. */
  refuseNext(n: number, status: number): void;
  /** Resolves once `pred` holds for the spans received, or rejects after `timeoutMs` (generous: CI is slow). */
  waitFor(pred: (spans: CollectedSpan[]) => boolean, timeoutMs?: number): Promise<CollectedSpan[]>;
  close(): Promise<void>;
}

type KeyValue = { key: string; value: Record<string, unknown> };

function decodeAttrs(list: KeyValue[] | undefined): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const { key, value } of list ?? []) {
    if ('intValue' in value) out[key] = Number(value.intValue);
    else if ('doubleValue' in value) out[key] = Number(value.doubleValue);
    else if ('boolValue' in value) out[key] = Boolean(value.boolValue);
    else out[key] = String(value.stringValue);
  }
  return out;
}

function problems(body: any): string[] {
  const errs: string[] = [];
  if (!Array.isArray(body?.resourceSpans)) return ['no resourceSpans array'];
  for (const rs of body.resourceSpans) {
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        if (!/^[0-9a-f]{32}$/.test(s.traceId)) errs.push(`traceId ${s.traceId}`);
        if (!/^[0-9a-f]{16}$/.test(s.spanId)) errs.push(`spanId ${s.spanId}`);
        if (s.parentSpanId !== undefined && !/^[0-9a-f]{16}$/.test(s.parentSpanId)) errs.push(`parentSpanId ${s.parentSpanId}`);
        for (const f of ['startTimeUnixNano', 'endTimeUnixNano']) if (typeof s[f] !== 'string' || !/^\d{19}$/.test(s[f])) errs.push(`${f} ${s[f]}`);
        if (BigInt(s.endTimeUnixNano ?? 0) < BigInt(s.startTimeUnixNano ?? 0)) errs.push(`${s.name} ends before it starts`);
        if (typeof s.kind !== 'number' || typeof s.status?.code !== 'number') errs.push(`${s.name}: kind and status.code must be numbers`);
        for (const a of s.attributes ?? []) {
          const keys = Object.keys(a.value ?? {});
          if (keys.length !== 1 || !['stringValue', 'intValue', 'doubleValue', 'boolValue'].includes(keys[0]!)) errs.push(`attribute ${a.key}: ${JSON.stringify(a.value)}`);
          if ('intValue' in (a.value ?? {}) && !/^-?\d+$/.test(String(a.value.intValue))) errs.push(`attribute ${a.key}: intValue ${a.value.intValue}`);
        }
      }
    }
  }
  return errs;
}

export async function startOtlpCollector(): Promise<OtlpCollector> {
  const requests: OtlpCollector['requests'] = [];
  const rejected: string[] = [];
  const refusing = { n: 0, status: 503 };
  const server = createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => (raw += d));
    req.on('end', () => {
      const path = (req.url ?? '').split('?')[0]!;
      const refuse = (why: string) => {
        rejected.push(why);
        res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ code: 3, message: why }));
      };
      if (refusing.n > 0) {
        refusing.n--;
        rejected.push(`refused with ${refusing.status} as scripted`);
        return void res.writeHead(refusing.status, { 'content-type': 'application/json' }).end(JSON.stringify({ code: 14, message: 'unavailable' }));
      }
      if (req.method !== 'POST' || path !== '/v1/traces') return refuse(`${req.method} ${path}`);
      if (!/^application\/json/.test(req.headers['content-type'] ?? '')) return refuse(`content-type ${req.headers['content-type']}`);
      let body: any;
      try {
        body = JSON.parse(raw);
      } catch {
        return refuse('body is not JSON');
      }
      const errs = problems(body);
      if (errs.length) return refuse(errs.join('; '));
      requests.push({ path, headers: req.headers, body });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  const { port, close } = await listenOnLoopback(server);
  const spans = (): CollectedSpan[] =>
    requests.flatMap((r) =>
      (r.body.resourceSpans as any[]).flatMap((rs) =>
        (rs.scopeSpans as any[]).flatMap((ss) =>
          (ss.spans as any[]).map((s) => ({ ...s, attrs: decodeAttrs(s.attributes), events: (s.events ?? []).map((e: any) => ({ name: e.name, attrs: decodeAttrs(e.attributes) })), resource: decodeAttrs(rs.resource?.attributes), scope: ss.scope })),
        ),
      ),
    );
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    rejected,
    spans,
    refuseNext(n, status) {
      refusing.n = n;
      refusing.status = status;
    },
    async waitFor(pred, timeoutMs = 30_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const now = spans();
        if (pred(now)) return now;
        if (Date.now() > until) throw new Error(`collector: condition not met; got ${now.map((s) => s.name).join(', ') || 'no spans'}${rejected.length ? `; rejected: ${rejected.join(' | ')}` : ''}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    close,
  };
}
