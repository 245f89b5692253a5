import { createPoster } from './post.js';
import type { TelemetrySettings } from './settings.js';

export interface ProbeResult {
  ok: boolean;
  detail: string;
}

/**
 * For `luna doctor`: sends an empty ExportTraceServiceRequest (a collector takes it and keeps nothing) and says
 * whether the collector answered 2xx. Turns never wait on this; it only tells an operator where spans go.
 */
export async function probeCollector(settings: TelemetrySettings, timeoutMs = 3000): Promise<ProbeResult> {
  const t0 = performance.now();
  try {
    const { status, text } = await createPoster(settings.url)(settings.headers, JSON.stringify({ resourceSpans: [] }), AbortSignal.timeout(timeoutMs));
    const ms = Math.round(performance.now() - t0);
    if (status >= 200 && status < 300) return { ok: true, detail: `spans go to ${settings.url} as ${settings.serviceName} (answered ${status} in ${ms}ms)` };
    return { ok: false, detail: `${settings.url} answered ${status}${text ? `: ${text.slice(0, 120)}` : ''}` };
  } catch (err) {
    const e = err as { code?: string; name?: string; message?: string };
    const why = e.name === 'TimeoutError' || e.name === 'AbortError' ? `no answer within ${timeoutMs} ms` : (e.code ?? e.message ?? String(err));
    return { ok: false, detail: `${settings.url}: ${why}` };
  }
}
