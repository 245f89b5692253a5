/** Small formatters shared by `luna top --once` and the console: the same figures read the same everywhere. */

export const dash = '-';

export function secs(v: number | null | undefined): string {
  if (v === null || v === undefined) return dash;
  if (v < 1) return `${Math.round(v * 1000)}ms`;
  return `${v < 10 ? v.toFixed(2) : v.toFixed(1)}s`;
}

export function usd(v: number | null | undefined, digits = 2): string {
  if (v === null || v === undefined) return dash;
  if (v !== 0 && Math.abs(v) < 0.01 && digits <= 2) return `$${v.toFixed(4)}`;
  return `$${v.toFixed(digits)}`;
}

export function rate(v: number | null | undefined, digits = 1): string {
  return v === null || v === undefined ? dash : v.toFixed(digits);
}

export function pct(v: number | null | undefined): string {
  return v === null || v === undefined ? dash : `${(v * 100).toFixed(v < 0.1 ? 1 : 0)}%`;
}

/** Compact age: 42s, 7m, 3h12m, 2d4h. */
export function age(fromIso: string | null | undefined, now: number): string {
  if (!fromIso) return dash;
  const s = Math.max(0, Math.round((now - Date.parse(fromIso)) / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86_400)}d${Math.floor((s % 86_400) / 3600)}h`;
}

/** HH:MM:SS in UTC, the time an alert began or a source went away. */
export function clock(iso: string | null | undefined): string {
  return iso ? iso.slice(11, 19) : dash;
}

const BARS = '▁▂▃▄▅▆▇█';

/** The last `width` points as block characters; gaps (no data) are spaces, a flat series sits on the floor. */
export function sparkline(points: (number | null)[], width: number): string {
  const tail = points.slice(-width);
  const vals = tail.filter((v): v is number => v !== null && Number.isFinite(v));
  if (!vals.length) return ' '.repeat(Math.min(width, tail.length));
  const max = Math.max(...vals);
  const min = Math.min(0, ...vals);
  return tail.map((v) => (v === null || !Number.isFinite(v) ? ' ' : BARS[max === min ? 0 : Math.min(7, Math.floor(((v - min) / (max - min)) * 7.999))])).join('');
}

export function gpuTemp(t: number | null): string {
  return t === null ? dash : `${t}°C`;
}

export function mib(used: number | null, total: number | null): string {
  const g = (v: number | null) => (v === null ? '?' : v >= 1024 ? `${(v / 1024).toFixed(v >= 10_240 ? 0 : 1)}G` : `${v}M`);
  if (used === null && total === null) return dash;
  return `${g(used)}/${g(total)}`;
}
