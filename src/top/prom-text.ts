/**
 * Prometheus text format with labels, enough for `luna top`: counters and gauges summed over label sets,
 * and histogram buckets for quantiles over a window (the difference of two scrapes).
 */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parseSamples(text: string): Sample[] {
  const out: Sample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = LINE.exec(line);
    if (!m) continue;
    const value = m[3] === '+Inf' ? Infinity : Number(m[3]);
    if (Number.isNaN(value)) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(LABEL)) labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_s, c: string) => (c === 'n' ? '\n' : c));
    out.push({ name: m[1]!, labels, value });
  }
  return out;
}

/** Sum of every series of `name` whose labels include `match`; null when there is none. */
export function sumOf(samples: Sample[], name: string, match: Record<string, string> = {}): number | null {
  let found = false;
  let sum = 0;
  for (const s of samples) {
    if (s.name !== name || !Object.entries(match).every(([k, v]) => s.labels[k] === v)) continue;
    found = true;
    sum += s.value;
  }
  return found ? sum : null;
}

/** Values of `name` keyed by one label (summed when other labels differ). */
export function byLabel(samples: Sample[], name: string, label: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of samples) {
    if (s.name !== name) continue;
    const k = s.labels[label] ?? '';
    out[k] = (out[k] ?? 0) + s.value;
  }
  return out;
}

/** Cumulative bucket counts by upper bound (`le`), +Inf last. */
export type Buckets = [number, number][];

export function bucketsOf(samples: Sample[], histogram: string): Buckets {
  const m = new Map<number, number>();
  for (const s of samples) {
    if (s.name !== `${histogram}_bucket`) continue;
    const le = s.labels.le === '+Inf' ? Infinity : Number(s.labels.le);
    if (!Number.isNaN(le)) m.set(le, (m.get(le) ?? 0) + s.value);
  }
  return [...m.entries()].sort((a, b) => a[0] - b[0]);
}

/** later − earlier, bucket by bucket; a process that restarted (counts went down) counts from zero. */
export function diffBuckets(later: Buckets, earlier: Buckets | null): Buckets {
  if (!earlier) return later;
  const prev = new Map(earlier);
  const reset = later.some(([le, n]) => n < (prev.get(le) ?? 0));
  return later.map(([le, n]) => [le, reset ? n : n - (prev.get(le) ?? 0)]);
}

export function addBuckets(a: Buckets, b: Buckets): Buckets {
  const m = new Map(a);
  for (const [le, n] of b) m.set(le, (m.get(le) ?? 0) + n);
  return [...m.entries()].sort((x, y) => x[0] - y[0]);
}

/**
 * The q-quantile as Prometheus's histogram_quantile computes it: linear within the bucket that holds it; the
 * highest finite bound when it falls in +Inf. null with no observations.
 */
export function quantile(q: number, buckets: Buckets): number | null {
  const total = buckets.at(-1)?.[1] ?? 0;
  if (total <= 0) return null;
  const rank = q * total;
  let prevLe = 0;
  let prevCount = 0;
  for (const [le, count] of buckets) {
    if (count >= rank) {
      if (le === Infinity) return prevLe;
      if (count === prevCount) return le;
      return prevLe + ((le - prevLe) * (rank - prevCount)) / (count - prevCount);
    }
    prevLe = le;
    prevCount = count;
  }
  return prevLe;
}
