import { UsageError } from '../errors.js';

/** A half-open time window [since, until) in ISO-8601 UTC; either end may be open. */
export interface Window {
  since?: string;
  until?: string;
}

const DAY_MS = 86_400_000;

export function dayStart(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
}

export function monthStart(now: Date, offsetMonths = 0): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + offsetMonths, 1));
}

/** Start of the budget period (UTC) that `now` falls in. */
export function periodStart(period: 'day' | 'month', now: Date): Date {
  return period === 'day' ? dayStart(now) : monthStart(now);
}

/** Days in the calendar month `now` falls in: projections scale a daily rate to this. */
export const DAYS_PER_MONTH = 30.44;

/**
 * Parses a report bound. Accepts `2026-11-01`, full ISO timestamps, relative `7d` / `24h` / `2w` / `30m`
 * (minutes), `today`, `yesterday`, `this-month`, `last-month`. Named ranges also carry their own end, so
 * `--since last-month` means "during last month" unless --until says otherwise. A bare date as the upper
 * bound means "to the end of that day".
 */
export function parseBound(text: string, which: 'since' | 'until', now: Date = new Date()): Window {
  const t = text.trim().toLowerCase();
  const iso = (d: Date) => d.toISOString();
  switch (t) {
    case 'now':
      return which === 'since' ? { since: iso(now) } : { until: iso(now) };
    case 'today':
      return which === 'since' ? { since: iso(dayStart(now)) } : { until: iso(new Date(dayStart(now).getTime() + DAY_MS)) };
    case 'yesterday': {
      const start = new Date(dayStart(now).getTime() - DAY_MS);
      return which === 'since' ? { since: iso(start), until: iso(dayStart(now)) } : { until: iso(dayStart(now)) };
    }
    case 'this-month':
      return which === 'since' ? { since: iso(monthStart(now)) } : { until: iso(monthStart(now, 1)) };
    case 'last-month':
      return which === 'since' ? { since: iso(monthStart(now, -1)), until: iso(monthStart(now)) } : { until: iso(monthStart(now)) };
    default:
      break;
  }
  const rel = /^(\d+(?:\.\d+)?)\s*(m|min|h|d|w)$/.exec(t);
  if (rel) {
    const unit = { m: 60_000, min: 60_000, h: 3_600_000, d: DAY_MS, w: 7 * DAY_MS }[rel[2] as 'm' | 'min' | 'h' | 'd' | 'w'];
    const at = iso(new Date(now.getTime() - Number(rel[1]) * unit));
    return which === 'since' ? { since: at } : { until: at };
  }
  if (/^\d{4}-\d{2}-\d{2}$/.test(t)) {
    const d = new Date(`${t}T00:00:00.000Z`);
    if (!Number.isNaN(d.getTime()) && d.toISOString().startsWith(t)) {
      return which === 'since' ? { since: iso(d) } : { until: iso(new Date(d.getTime() + DAY_MS)) };
    }
  } else if (/^\d{4}-\d{2}$/.test(t)) {
    const d = new Date(`${t}-01T00:00:00.000Z`);
    if (!Number.isNaN(d.getTime())) return which === 'since' ? { since: iso(d) } : { until: iso(monthStart(d, 1)) };
  } else if (/^\d{4}-\d{2}-\d{2}t/.test(t)) {
    const d = new Date(text.trim());
    if (!Number.isNaN(d.getTime())) return which === 'since' ? { since: iso(d) } : { until: iso(d) };
  }
  throw new UsageError(`--${which} "${text}": not a date or period`, {
    hint: 'use a date (2026-11-01), a month (2026-11), a relative span (7d, 24h, 2w) or today, yesterday, this-month, last-month',
  });
}

/** Combines --since and --until; an explicit --until beats the end implied by a named --since range. */
export function parseWindow(opts: { since?: string; until?: string }, now: Date = new Date()): Window {
  const w: Window = {};
  if (opts.since) Object.assign(w, parseBound(opts.since, 'since', now));
  if (opts.until) w.until = parseBound(opts.until, 'until', now).until;
  if (w.since && w.until && w.since >= w.until) {
    throw new UsageError(`empty window: --since ${opts.since} is not before --until ${opts.until ?? '(implied)'}`);
  }
  return w;
}
