import { formatDuration } from '../util/format.js';
import type { CostReport, ReportRow } from './report.js';
import type { TurnCostReport } from './per-turn.js';
import { TURN_AGENTS } from './per-turn.js';

/** Money with enough digits for sub-cent turns: $12.34, $0.0123, $0.000045. */
export function usd(v: number): string {
  const a = Math.abs(v);
  if (a === 0) return '$0';
  if (a >= 100) return `$${v.toFixed(2)}`;
  if (a >= 0.01) return `$${v.toFixed(4)}`;
  return `$${v.toPrecision(3)}`;
}

const pct = (v: number | null) => (v === null ? '' : `${(v * 100).toFixed(v > 0 && v < 0.001 ? 2 : 1)}%`);
// Burst rows carry the billed span as latency: hours read better than millions of ms.
const ms = (v: number | null) => (v === null ? '' : v < 10_000 ? `${v}ms` : formatDuration(v));
const int = (v: number) => v.toLocaleString('en-US');

/** `*`: some calls had no price (cost leaves them out); `~`: some token counts are estimates. */
export function costCell(r: { costUsd: number; unpricedCalls: number }): string {
  return `${usd(r.costUsd)}${r.unpricedCalls ? '*' : ''}`;
}
const tokCell = (n: number, r: { estimatedCalls: number }) => `${int(n)}${r.estimatedCalls && n ? '~' : ''}`;

export const REPORT_COLUMNS = ['calls', 'turns', 'input tok', 'output tok', 'cached tok', 'cost', 'share', 'cost/turn', 'p50', 'p95', 'failed', 'fallback'];

export interface Rendered {
  head: string[];
  rows: string[][];
  align: ('left' | 'right')[];
  footnotes: string[];
}

export function reportTable(report: CostReport): Rendered {
  const keyCols = report.groupBy;
  const line = (label: string[], r: ReportRow): string[] => [
    ...label, int(r.calls), int(r.turns), tokCell(r.inputTokens, r), tokCell(r.outputTokens, r), tokCell(r.cachedTokens, r),
    costCell(r), pct(r.share), r.costPerTurnUsd === null ? '' : usd(r.costPerTurnUsd), ms(r.latencyP50Ms), ms(r.latencyP95Ms),
    pct(r.failureRate), pct(r.fallbackRate),
  ];
  const rows = report.rows.map((r) => line(keyCols.map((k) => r.keys[k] ?? '(none)'), r));
  rows.push(line(keyCols.length ? ['TOTAL', ...keyCols.slice(1).map(() => '')] : ['TOTAL'], report.total));
  const head = [...(keyCols.length ? keyCols : ['']), ...REPORT_COLUMNS];
  const align = head.map((_, i) => (i < Math.max(1, keyCols.length) ? 'left' : 'right') as 'left' | 'right');
  return { head, rows, align, footnotes: footnotes(report.total) };
}

export function footnotes(t: { unpricedCalls: number; estimatedCalls: number }): string[] {
  const notes: string[] = [];
  if (t.unpricedCalls) notes.push(`* ${int(t.unpricedCalls)} call(s) had no known price and are not in the cost (add models.<name>.price or a cost.pricingFile entry)`);
  if (t.estimatedCalls) notes.push(`~ ${int(t.estimatedCalls)} call(s) have estimated token counts (the provider reported no usage)`);
  return notes;
}

export function spendLines(report: CostReport): string[] {
  const s = report.spend;
  const part = (label: string, x: { costUsd: number; calls: number; unpricedCalls: number }) =>
    `${label.padEnd(12)} ${costCell(x).padStart(12)}  ${int(x.calls)} call(s)`;
  return [part('cloud', s.cloud), part('self-hosted', s['self-hosted']), part('burst', s.burst), part('all', s.all)];
}

export function turnTable(report: TurnCostReport): Rendered {
  const hasOther = report.turns.some((t) => t.otherUsd !== 0);
  const head = ['turn', 'depth', 'action', ...TURN_AGENTS, ...(hasOther ? ['other'] : []), 'total', 'calls'];
  const line = (t: TurnCostReport['turns'][number], label: string[]) => [
    ...label, ...TURN_AGENTS.map((a) => usd(t.byAgent[a])), ...(hasOther ? [usd(t.otherUsd)] : []), costCell({ costUsd: t.totalUsd, unpricedCalls: t.unpricedCalls }), int(t.calls),
  ];
  const rows = report.turns.map((t) => line(t, [t.turnId ?? '(no turn)', t.depth === null ? '' : String(t.depth), clip(t.action ?? (t.turnId ? '' : 'failed/cancelled turns'), 32)]));
  rows.push(line(report.total, ['TOTAL', '', '']));
  const align = head.map((h) => (['turn', 'action'].includes(h) ? 'left' : 'right') as 'left' | 'right');
  return { head, rows, align, footnotes: footnotes(report.total) };
}

function clip(s: string, n: number): string {
  const one = s.replace(/\s+/g, ' ');
  return one.length > n ? `${one.slice(0, n - 1)}…` : one;
}

/** RFC 4180: quote fields holding a comma, quote or line break; CRLF between records. */
export function toCsv(head: string[], rows: (string | number | null | undefined)[][]): string {
  const cell = (v: string | number | null | undefined) => {
    const s = v === null || v === undefined ? '' : String(v);
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [head, ...rows].map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n';
}

/** CSV keeps raw numbers (no $ or %) so spreadsheets can sum them; flags are explicit columns. */
export function reportCsv(report: CostReport): string {
  const keyCols = report.groupBy;
  const head = [...keyCols, 'calls', 'turns', 'input_tokens', 'output_tokens', 'cached_tokens', 'cost_usd', 'share', 'cost_per_turn_usd',
    'latency_p50_ms', 'latency_p95_ms', 'failure_rate', 'fallback_rate', 'unpriced_calls', 'estimated_calls'];
  const line = (label: (string | null)[], r: ReportRow) => [
    ...label, r.calls, r.turns, r.inputTokens, r.outputTokens, r.cachedTokens, r.costUsd, r.share ?? '', r.costPerTurnUsd ?? '',
    r.latencyP50Ms ?? '', r.latencyP95Ms ?? '', r.failureRate, r.fallbackRate, r.unpricedCalls, r.estimatedCalls,
  ];
  const rows = report.rows.map((r) => line(keyCols.map((k) => r.keys[k] ?? ''), r));
  rows.push(line(keyCols.length ? ['TOTAL', ...keyCols.slice(1).map(() => '')] : [], report.total));
  return toCsv(head, rows);
}

export function turnCsv(report: TurnCostReport): string {
  const head = ['turn_id', 'depth', 'action', ...TURN_AGENTS.map((a) => `${a}_usd`), 'other_usd', 'total_usd', 'calls', 'unpriced_calls', 'estimated_calls'];
  const line = (t: TurnCostReport['turns'][number], id: string) => [
    id, t.depth ?? '', t.action ?? '', ...TURN_AGENTS.map((a) => t.byAgent[a]), t.otherUsd, t.totalUsd, t.calls, t.unpricedCalls, t.estimatedCalls,
  ];
  return toCsv(head, [...report.turns.map((t) => line(t, t.turnId ?? '')), line(report.total, 'TOTAL')]);
}
