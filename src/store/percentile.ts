/**
 * Exact nearest-rank percentiles from a histogram of integer latencies (value → count), so a store can
 * group a million ledger rows by (group, latency) in SQL and never ship every row to JavaScript.
 */
export function percentilesFromHistogram(hist: [value: number, count: number][], qs: number[]): (number | null)[] {
  const total = hist.reduce((n, [, c]) => n + c, 0);
  if (total === 0) return qs.map(() => null);
  const sorted = [...hist].sort((a, b) => a[0] - b[0]);
  return qs.map((q) => {
    const rank = Math.max(1, Math.ceil(q * total));
    let seen = 0;
    for (const [value, count] of sorted) {
      seen += count;
      if (seen >= rank) return value;
    }
    return sorted[sorted.length - 1]![0];
  });
}

/** Same definition over raw values; used by tests and small in-memory groups. */
export function percentile(values: number[], q: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1]!;
}
