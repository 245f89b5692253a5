/**
 * Context assembly latency as a just-started process sees it and as a running service does. `coldP50Ms`: the
 * first COLD calls on a newly opened store (V8 compiling the Preprocessor, each pooled connection planning its
 * reads); then WARMUP more calls; `p50Ms` and `p95Ms` over the next CALLS, the steady state. The Preprocessor's
 * functions run once per assembly, so V8 optimises them only after a few hundred calls: on the 2-core machine a
 * 10,000-turn assembly on PostgreSQL drops from ~6 ms over the first 100 calls to ~4 ms after 500.
 */
const COLD = 100;
const WARMUP = 400;
const CALLS = 300;

export interface AssemblyTiming {
  coldP50Ms: number;
  p50Ms: number;
  p95Ms: number;
  /** Calls before the steady-state sample (cold ones included), and calls in it. */
  warmupCalls: number;
  calls: number;
}

export async function timeAssembly(call: (i: number) => Promise<unknown>): Promise<AssemblyTiming> {
  const cold = await timed(call, 0, COLD);
  for (let i = COLD; i < COLD + WARMUP; i++) await call(i);
  const steady = await timed(call, COLD + WARMUP, CALLS);
  return { coldP50Ms: pct(cold, 0.5), p50Ms: pct(steady, 0.5), p95Ms: pct(steady, 0.95), warmupCalls: COLD + WARMUP, calls: CALLS };
}

async function timed(call: (i: number) => Promise<unknown>, from: number, n: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = from; i < from + n; i++) {
    const t = performance.now();
    await call(i);
    times.push(performance.now() - t);
  }
  return times;
}

export function pct(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.floor(q * s.length))]! * 100) / 100;
}
