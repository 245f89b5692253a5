import { formatDuration, renderTable } from '../../cli/output.js';
import type { GpuInfo } from '../../serve/gpu.js';
import type { ServeState, ShardStatus } from '../../serve/state.js';

/** The status table `serve status` prints and foreground `serve up` redraws. */

export const STATUS_HEAD = ['shard', 'engine', 'model', 'GPUs', 'port', 'state', 'uptime', 'restarts', 'run/wait', 'KV', 'tok/s', 'GPU util/mem/temp'];

const dash = (v: number | null | undefined, f: (n: number) => string = String) => (v === null || v === undefined ? '-' : f(v));

function gpuSummary(s: ShardStatus, gpus: GpuInfo[]): string {
  const mine = gpus.filter((g) => s.gpus.includes(g.index));
  if (!mine.length) return s.gpus.length ? '?' : 'CPU';
  return mine.map((g) => `${dash(g.utilizationPct, (v) => `${v}%`)} ${dash(g.memoryUsedMiB)}/${dash(g.memoryTotalMiB)}MiB ${dash(g.temperatureC, (v) => `${v}°C`)}`).join(' | ');
}

export function shortModel(model: string): string {
  const base = model.split('/').at(-1) ?? model;
  return base.length > 28 ? `${base.slice(0, 27)}…` : base;
}

export function statusRows(state: ServeState, now = Date.now()): string[][] {
  return state.shards.map((s) => [
    s.name,
    s.engine,
    shortModel(s.model),
    s.gpus.length ? s.gpus.join(',') : '-',
    dash(s.port),
    s.state === 'failed' || s.state === 'backoff' ? `${s.state}${s.lastError ? ` (${s.lastError})` : ''}` : s.state,
    s.readySince ? formatDuration(now - Date.parse(s.readySince)) : '-',
    String(s.restarts),
    `${dash(s.running)}/${dash(s.waiting)}`,
    dash(s.kvCache, (v) => `${Math.round(v * 100)}%`),
    dash(s.tokensPerSec, (v) => v.toFixed(1)),
    gpuSummary(s, state.gpus),
  ]);
}

export async function renderStatus(state: ServeState): Promise<string> {
  // align is passed explicitly: cli-table3 crashes on colAligns: undefined
  const table = await renderTable(STATUS_HEAD, statusRows(state), { align: STATUS_HEAD.map(() => 'left') });
  const d = state.daemon;
  const head = `luna serve: pid ${d.pid}, ${d.status}, metrics http://127.0.0.1:${d.controlPort}/metrics${state.gpuProblem ? ` (no GPUs: ${state.gpuProblem})` : ''}`;
  return `${head}\n${table}`;
}
