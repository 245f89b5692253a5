/**
 * Latency percentiles are read from mergeable log-bucketed histograms (the DDSketch idea): below
 * EXACT_BELOW_MS every millisecond is its own bucket; above it, bucket i covers [γ^k, γ^(k+1)) and reports
 * the point whose relative error to anything in it is at most (γ-1)/(γ+1) ≈ 1%. Fixed buckets are what let
 * the daily roll-up merge histograms across cells, and a cell's histogram stays under ~650 buckets however
 * many calls it holds. Every path (SQLite scan, SQLite roll-up, PostgreSQL) buckets with these functions, so
 * all report the same figures.
 */
/**
 * The latency a scan feeds to percentiles (SQLite and PostgreSQL alike): a burst billing row's latency_ms is
 * the instance time it bills (burst/billing.ts), not a call's latency, so no percentile counts it.
 */
export const LATENCY_SQL = `CASE WHEN agent = 'burst' THEN NULL ELSE latency_ms END`;

const EXACT_BELOW_MS = 256;
const GAMMA = 1.02;
const LOG_GAMMA = Math.log(GAMMA);

/** The bucket a latency (ms) falls in: a small non-negative integer. */
export function latencyBucket(ms: number): number {
  const v = Math.max(0, Math.round(ms));
  if (v < EXACT_BELOW_MS) return v;
  return EXACT_BELOW_MS + Math.floor(Math.log(v / EXACT_BELOW_MS) / LOG_GAMMA + 1e-9);
}

/** The latency (whole ms) a bucket reports: within ~1% of every value in it. */
export function bucketLatency(bucket: number): number {
  if (bucket < EXACT_BELOW_MS) return bucket;
  const lo = EXACT_BELOW_MS * GAMMA ** (bucket - EXACT_BELOW_MS);
  const hi = lo * GAMMA;
  return Math.round((2 * lo * hi) / (lo + hi));
}

/** Nearest-rank percentiles over a (bucket → count) histogram, reported in ms. */
export function latencyPercentiles(hist: Iterable<[bucket: number, count: number]>, qs: number[]): (number | null)[] {
  return percentilesFromHistogram([...hist], qs).map((b) => (b === null ? null : bucketLatency(b)));
}

/** Exact nearest-rank percentiles from a histogram of integers (value → count). */
function percentilesFromHistogram(hist: [value: number, count: number][], qs: number[]): (number | null)[] {
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

/** Nearest rank over raw values, bucketed like the stores report it; used by tests and small groups. */
export function percentile(values: number[], q: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return bucketLatency(latencyBucket(sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1]!));
}
