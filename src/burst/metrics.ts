/** Minimal Prometheus text-format reading: enough to sum one metric across its label sets. */
export function sumMetric(text: string, name: string): number | null {
  let found = false;
  let sum = 0;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const v = Number(m[3]);
    if (Number.isNaN(v)) continue;
    found = true;
    sum += v;
  }
  return found ? sum : null;
}

export const WAITING_METRIC = 'luna_shard_requests_waiting';

/** Requests waiting over local shards, from `luna serve`'s metrics endpoint; null when unreachable. */
export async function scrapeWaiting(url: string, timeoutMs = 3000): Promise<{ waiting: number | null; error: string | null }> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) return { waiting: null, error: `metrics endpoint answered HTTP ${res.status}` };
    const v = sumMetric(await res.text(), WAITING_METRIC);
    return v === null ? { waiting: 0, error: null } : { waiting: v, error: null };
  } catch (err) {
    return { waiting: null, error: `metrics endpoint unreachable: ${(err as Error).message}` };
  }
}
