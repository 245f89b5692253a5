import { terminalLine } from '../util/terminal-text.js';
import { age, clock, dash, gpuTemp, mib, pct, rate, secs, sparkline, usd } from './format.js';
import type { Snapshot, SourceName } from './types.js';

/**
 * The console's content as plain lines, one model for both renderers: `luna top --once` prints them,
 * the Ink console colours them. Widths are fitted here, so 80 columns and NO_COLOR read the same.
 */
export type Tone = 'ok' | 'warning' | 'error' | 'dim' | 'head' | undefined;
export interface Line { text: string; tone?: Tone }
export type PaneId = 'service' | 'shards' | 'burst' | 'dreamer' | 'money' | 'alerts';
export const PANES: readonly PaneId[] = ['service', 'shards', 'burst', 'dreamer', 'money', 'alerts'];
export const PANE_TITLE: Record<PaneId, string> = { service: 'Service', shards: 'Shards', burst: 'Burst', dreamer: 'Dreamer', money: 'Money', alerts: 'Alerts' };

export interface Pane {
  id: PaneId;
  title: string;
  /** Set when the pane's source does not answer: the lines below are its last good data. */
  unreachable: string | null;
  lines: Line[];
  /** Rows an operator can select (shards, burst instances): their index into `lines` and their id. */
  rows: { line: number; id: string }[];
}

const SOURCE_OF: Record<PaneId, SourceName | null> = { service: 'api', shards: 'serve', burst: 'burst', dreamer: 'dreamer', money: 'money', alerts: null };

const safe = (s: string | null | undefined) => terminalLine(s ?? '');

/** Pads cells into columns; column `flex` gives up width first (then is cut with …) so the line fits `width`. */
export function columns(head: string[], rows: string[][], width: number, flex: number, right: number[] = []): string[] {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => [...(r[i] ?? '')].length)));
  const total = () => w.reduce((a, b) => a + b, 0) + (w.length - 1);
  if (total() > width) w[flex] = Math.max(3, w[flex]! - (total() - width));
  const cell = (s: string, i: number) => {
    const chars = [...s];
    const t = chars.length > w[i]! ? `${chars.slice(0, w[i]! - 1).join('')}…` : s;
    const pad = ' '.repeat(Math.max(0, w[i]! - [...t].length));
    return right.includes(i) ? pad + t : t + pad;
  };
  return [head, ...rows].map((r) => r.map(cell).join(' ').trimEnd().slice(0, width * 2));
}

function unreachable(s: Snapshot, id: PaneId): string | null {
  const src = SOURCE_OF[id];
  if (!src) return null;
  const st = s.sources[src];
  if (st.ok) return null;
  if (!st.configured) return safe(st.error);
  return `unreachable since ${clock(st.unreachableSince)}: ${safe(st.error)}`;
}

function service(s: Snapshot, width: number): Line[] {
  const v = s.service;
  if (!v) return [];
  const spark = Math.max(0, Math.min(20, width - 62));
  const up = v.apis.filter((a) => a.up).length;
  const tiers = Object.entries(v.inFlightByTier).map(([t, n]) => `${safe(t)} ${n}`).join(' · ');
  const waiting = Object.entries(v.queuedByTier).map(([t, n]) => `${safe(t)} ${n}`).join(' · ');
  const lines: Line[] = [
    { text: `turns/s ${rate(v.turnsPerSec, 2).padEnd(6)}${spark ? ` ${sparkline(s.history.turnsPerSec, spark)}` : ''}  latency p50 ${secs(v.latency.p50)} p95 ${secs(v.latency.p95)} p99 ${secs(v.latency.p99)}` },
    { text: `TTFT p50 ${secs(v.ttft.p50)} p95 ${secs(v.ttft.p95)} p99 ${secs(v.ttft.p99)} · errors ${pct(v.errorRate)} (${v.errorsInWindow}/${v.finishedInWindow})${spark ? ` · p95 ${sparkline(s.history.p95, spark)}` : ''}`, tone: v.errorRate !== null && v.errorRate > 0 ? 'warning' : undefined },
    { text: `in flight ${v.inFlight}${tiers ? ` (${tiers})` : ''} · queued ${v.queued}${waiting ? ` (${waiting})` : ''} · 503 ${rate(v.overloadedPerMin)}/min · 429 ${rate(v.rateLimitedPerMin)}/min · APIs ${up}/${v.apis.length} up` },
  ];
  for (const a of v.apis.filter((x) => !x.up)) lines.push({ text: `✗ ${safe(a.url)} unreachable since ${clock(a.unreachableSince)}: ${safe(a.error)}`, tone: 'error' });
  return lines;
}

function shards(s: Snapshot, width: number, now: number): { lines: Line[]; rows: Pane['rows'] } {
  const v = s.serve;
  if (!v) return { lines: [], rows: [] };
  const rows = v.shards.map((sh) => {
    const g = sh.gpuInfo;
    const avg = (f: (x: (typeof g)[number]) => number | null) => {
      const xs = g.map(f).filter((x): x is number => x !== null);
      return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null;
    };
    const sumOf = (f: (x: (typeof g)[number]) => number | null) => (g.some((x) => f(x) !== null) ? g.reduce((a, x) => a + (f(x) ?? 0), 0) : null);
    const util = avg((x) => x.utilizationPct);
    const temp = g.reduce<number | null>((m, x) => (x.temperatureC === null ? m : Math.max(m ?? -Infinity, x.temperatureC)), null);
    return [
      safe(sh.name), sh.state, safe(sh.model.split('/').at(-1) ?? sh.model), sh.gpus.length ? sh.gpus.join(',') : 'CPU',
      util === null ? dash : `${Math.round(util)}%`, mib(sumOf((x) => x.memoryUsedMiB), sumOf((x) => x.memoryTotalMiB)), gpuTemp(temp),
      rate(sh.tokensPerSec), sh.kvCache === null ? dash : `${Math.round(sh.kvCache * 100)}%`, `${sh.running ?? dash}/${sh.waiting ?? dash}`,
      String(sh.restarts), sh.state === 'ready' ? age(sh.readySince, now) : dash,
    ];
  });
  const text = columns(['shard', 'state', 'model', 'GPU', 'util', 'VRAM', 'temp', 'tok/s', 'KV', 'run/q', 'rst', 'up'], rows, width, 2, [4, 7, 8, 10]);
  const lines: Line[] = text.map((t, i) => {
    const sh = v.shards[i - 1];
    return { text: t, tone: i === 0 ? 'head' : sh && sh.state !== 'ready' ? (sh.state === 'stopped' || sh.state === 'starting' ? 'warning' : 'error') : undefined };
  });
  if (!v.shards.length) lines.push({ text: 'no shards', tone: 'dim' });
  if (v.gpuProblem) lines.push({ text: `no GPU figures: ${safe(v.gpuProblem)}`, tone: 'dim' });
  return { lines, rows: v.shards.map((sh, i) => ({ line: i + 1, id: sh.name })) };
}

function burst(s: Snapshot, width: number, now: number): { lines: Line[]; rows: Pane['rows'] } {
  const v = s.burst;
  if (!v) return { lines: [], rows: [] };
  const lines: Line[] = [];
  let rows: Pane['rows'] = [];
  if (v.instances.length) {
    const text = columns(['id', 'provider', 'GPU', 'state', 'age', '$/h', 'spent'],
      v.instances.map((i) => [safe(i.id), i.provider, `${safe(i.gpuType)}${i.gpuCount > 1 ? `×${i.gpuCount}` : ''}`, i.state, age(i.launchedAt, now), i.pricePerHour.toFixed(2), usd(i.spentUsd)]),
      width, 2, [5, 6]);
    text.forEach((t, i) => lines.push({ text: t, tone: i === 0 ? 'head' : ['terminated', 'failed'].includes(v.instances[i - 1]!.state) ? 'dim' : undefined }));
    rows = v.instances.map((i, k) => ({ line: k + 1, id: i.id }));
  } else lines.push({ text: `no burst instances (deployment ${safe(v.deployment)})`, tone: 'dim' });
  lines.push({ text: `burst ${usd(v.hourlyUsd)}/h · this month ${usd(v.monthSpentUsd)}` });
  const st = v.lastStep;
  if (!st) lines.push({ text: 'autoscaler: no decision recorded here (luna burst watch not run)', tone: 'dim' });
  else {
    const d = st.decisions.map((x) => `${x.action}${x.action === 'launch' ? ` ×${x.count}` : x.action === 'terminate' ? ` ${x.id}` : ''}: ${safe(x.reason)}`).join('; ') || 'nothing to do';
    lines.push({ text: `autoscaler ${clock(st.at)} (${age(st.at, now)} ago), waiting ${st.waiting ?? '?'}: ${d}` });
    for (const e of st.errors.slice(0, 2)) lines.push({ text: `  ${safe(e)}`, tone: 'warning' });
  }
  return { lines, rows };
}

function dreamer(s: Snapshot, now: number): Line[] {
  const v = s.dreamer;
  if (!v) return [];
  const c = v.counts;
  const lines: Line[] = [{
    text: `queued ${c.queued} · running ${c.running} · done ${c.done} · failed ${c.failed} · oldest waiting ${v.oldestQueuedAt ? `${age(v.oldestQueuedAt, now)} (${v.oldestQueuedKind})` : dash}`,
    tone: c.failed > 0 ? 'warning' : undefined,
  }];
  if (v.lastFailure) lines.push({ text: `last failure ${clock(v.lastFailure.at)} ${v.lastFailure.kind} ${safe(v.lastFailure.id)}: ${safe(v.lastFailure.error)}`, tone: 'dim' });
  return lines;
}

function money(s: Snapshot, width: number): Line[] {
  const v = s.money;
  if (!v) return [];
  const spark = Math.max(0, Math.min(20, width - 60));
  const lines: Line[] = [
    { text: `now ${usd(v.usdPerHour)}/h (burst ${usd(v.burstUsdPerHour)} + models ${usd(v.modelUsdPerHour)})${spark ? ` ${sparkline(s.history.usdPerHour, spark)}` : ''} · ${usd(v.costPerTurnToday, 4)}/turn today` },
    { text: `today ${usd(v.spentTodayUsd)} (${v.turnsToday} turns) · month ${usd(v.spentMonthUsd)} → projected ${usd(v.projectedMonthUsd)}` },
  ];
  for (const b of v.budgets) {
    const lim = [b.soft !== null ? `soft ${usd(b.soft)}` : '', b.hard !== null ? `hard ${usd(b.hard)}` : ''].filter(Boolean).join(' / ');
    lines.push({ text: `${safe(b.name)} (${b.period}): ${usd(b.used)} of ${lim || 'no limit'}${b.level !== 'ok' ? ` — over ${b.level} limit` : ''}`, tone: b.level === 'hard' ? 'error' : b.level === 'soft' ? 'warning' : undefined });
  }
  if (!v.budgets.length) lines.push({ text: 'no budgets configured (cost.budgets)', tone: 'dim' });
  return lines;
}

function alerts(s: Snapshot): Line[] {
  if (!s.alerts.length) return [{ text: 'no alerts', tone: 'ok' }];
  return s.alerts.map((a) => ({ text: `${clock(a.since)} ${a.severity === 'critical' ? '✗' : '!'} ${safe(a.text)}`, tone: a.severity === 'critical' ? 'error' : 'warning' }));
}

export function buildPanes(s: Snapshot, width: number, now = Date.parse(s.at)): Pane[] {
  const sh = shards(s, width, now);
  const bu = burst(s, width, now);
  const body: Record<PaneId, { lines: Line[]; rows: Pane['rows'] }> = {
    service: { lines: service(s, width), rows: [] },
    shards: sh,
    burst: bu,
    dreamer: { lines: dreamer(s, now), rows: [] },
    money: { lines: money(s, width), rows: [] },
    alerts: { lines: alerts(s), rows: [] },
  };
  return PANES.map((id) => ({ id, title: PANE_TITLE[id], unreachable: unreachable(s, id), ...body[id] }));
}

/** `luna top --once` as text: every pane in full, one after another. */
export function plainText(s: Snapshot, width: number): string {
  const out: string[] = [`luna top · ${s.at.slice(0, 19).replace('T', ' ')} UTC · ${s.alerts.length} alert(s)`];
  for (const p of buildPanes(s, width)) {
    out.push('', `── ${p.title} ${'─'.repeat(Math.max(0, width - p.title.length - 4))}`.slice(0, width));
    if (p.unreachable) out.push(p.unreachable);
    out.push(...p.lines.map((l) => l.text));
  }
  return `${out.join('\n')}\n`;
}
