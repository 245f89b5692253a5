import type { LunaConfig } from '../config/schema.js';

/** Where and how spans are sent; null when tracing is off (the default). */
export interface TelemetrySettings {
  /** Full URL of the traces endpoint (…/v1/traces), without credentials (they move to an Authorization header). */
  url: string;
  headers: Record<string, string>;
  serviceName: string;
  /** Each export gives up after this long; `luna turn` waits at most this long at exit. */
  timeoutMs: number;
  /** From OTEL_RESOURCE_ATTRIBUTES; service.name is set apart. */
  resource: Record<string, string>;
}

export type TelemetryEnv = Record<string, string | undefined>;

/**
 * Resolves tracing settings. Off unless an endpoint is configured: `telemetry.otlp.endpoint` first, then the
 * standard OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (used as given) and OTEL_EXPORTER_OTLP_ENDPOINT (a base URL:
 * /v1/traces is appended). OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none turn it off whatever the config
 * says (the usual kill switches). An environment value that is not an http(s) URL leaves tracing off and says
 * why through `debug`: a stray variable meant for another program must not stop a turn.
 */
export function resolveTelemetry(config: LunaConfig, env: TelemetryEnv, debug?: (message: string) => void): TelemetrySettings | null {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return null;
  if (env.OTEL_TRACES_EXPORTER?.trim().toLowerCase() === 'none') return null;
  const t = config.telemetry;
  let url: string | null = null;
  if (t.otlp.endpoint) url = tracesUrl(t.otlp.endpoint);
  else if (env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim()) url = checkUrl(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT.trim(), 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', debug);
  else if (env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim()) {
    const base = checkUrl(env.OTEL_EXPORTER_OTLP_ENDPOINT.trim(), 'OTEL_EXPORTER_OTLP_ENDPOINT', debug);
    url = base ? tracesUrl(base) : null;
  }
  if (!url) return null;
  const protocol = (env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL)?.trim();
  if (protocol && protocol !== 'http/json') debug?.(`telemetry: ${protocol} is not spoken here; spans go as http/json`);
  const resource = parsePairs(env.OTEL_RESOURCE_ATTRIBUTES);
  const serviceName = t.serviceName ?? (env.OTEL_SERVICE_NAME?.trim() || resource['service.name'] || 'luna');
  delete resource['service.name'];
  const headers = { ...parsePairs(env.OTEL_EXPORTER_OTLP_HEADERS), ...parsePairs(env.OTEL_EXPORTER_OTLP_TRACES_HEADERS), ...t.otlp.headers };
  // fetch refuses URLs with user:password in them; they mean Basic auth, so that is what they become.
  const u = new URL(url);
  if (u.username || u.password) {
    const hasAuth = Object.keys(headers).some((k) => k.toLowerCase() === 'authorization');
    if (!hasAuth) headers.authorization = `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64')}`;
    u.username = '';
    u.password = '';
  }
  return {
    url: u.toString(),
    headers,
    serviceName,
    timeoutMs: t.otlp.timeoutMs,
    resource,
  };
}

/** A base URL gets /v1/traces appended (after any path it has), unless it already ends there. */
export function tracesUrl(endpoint: string): string {
  const u = new URL(endpoint);
  if (!/\/v1\/traces\/?$/.test(u.pathname)) u.pathname = `${u.pathname.replace(/\/+$/, '')}/v1/traces`;
  return u.toString();
}

function checkUrl(value: string, name: string, debug?: (message: string) => void): string | null {
  try {
    const u = new URL(value);
    if (u.protocol === 'http:' || u.protocol === 'https:') return u.toString();
  } catch {
    // reported below
  }
  debug?.(`telemetry: ${name} is not an http(s) URL ("${value.slice(0, 80)}"); tracing stays off`);
  return null;
}

/** `key1=value1,key2=value2` with percent-encoded values (the W3C Baggage-like format the OTel spec uses). */
export function parsePairs(text: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (text ?? '').split(',')) {
    const i = part.indexOf('=');
    if (i <= 0) continue;
    const key = part.slice(0, i).trim();
    let value = part.slice(i + 1).trim();
    try {
      value = decodeURIComponent(value);
    } catch {
      // a stray % stays as written
    }
    if (key) out[key] = value;
  }
  return out;
}
