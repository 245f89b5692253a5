/** Pure number formatting shared by the CLI, the TUI and cost reports (no terminal, no I/O). */

export function formatUsd(v: number | null | undefined, digits = 4): string {
  if (v === null || v === undefined) return 'unpriced';
  return `$${v.toFixed(digits)}`;
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${Math.round(s % 60)}s`;
  return `${Math.floor(m / 60)}h${m % 60}m`;
}
