import { sumMetric } from './metrics.js';

/** vLLM serves /health and /metrics at the root, beside /v1. */
export function rootOf(endpoint: string): string {
  return endpoint.replace(/\/+$/, '').replace(/\/v1$/, '');
}

export async function isHealthy(endpoint: string, timeoutMs = 3000): Promise<boolean> {
  try {
    const res = await fetch(`${rootOf(endpoint)}/health`, { signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

/** Requests running or queued on the instance (vLLM's own gauges); null when it cannot be read. */
export async function inFlight(endpoint: string, apiKey: string | null, timeoutMs = 3000): Promise<number | null> {
  try {
    const res = await fetch(`${rootOf(endpoint)}/metrics`, {
      headers: apiKey ? { authorization: `Bearer ${apiKey}` } : {},
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!res.ok) return null;
    const text = await res.text();
    const running = sumMetric(text, 'vllm:num_requests_running');
    const waiting = sumMetric(text, 'vllm:num_requests_waiting');
    if (running === null && waiting === null) return null;
    return (running ?? 0) + (waiting ?? 0);
  } catch {
    return null;
  }
}
