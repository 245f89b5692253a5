import type { ShardConfig } from '../config/schema.js';
import { ServeError } from './errors.js';
import { freeMemoryMiB, type GpuInfo } from './gpu.js';

export interface ShardPlacement {
  shard: string;
  engine: ShardConfig['engine'];
  gpuIndices: number[];
  gpuUuids: string[];
  memoryMiB: number;
  tensorParallel: number;
  /** Pins the engine to its GPUs by UUID so renumbering (MIG, hot-plug) cannot move it. */
  env: Record<string, string>;
}

export interface GpuProjection {
  index: number;
  uuid: string;
  name: string;
  freeMiB: number | null;
  /** Free memory after every shard placed here takes its memoryMiB. */
  freeAfterMiB: number | null;
  shards: string[];
}

export interface PlacementPlan {
  shards: ShardPlacement[];
  gpus: GpuProjection[];
  problems: string[];
}

function wantedCount(s: ShardConfig): number {
  const count = Array.isArray(s.gpus) ? s.gpus.length : s.gpus;
  // vLLM needs one GPU per tensor-parallel rank; asking for TP without GPUs means "that many".
  return count === 0 && s.tensorParallel && s.tensorParallel > 1 ? s.tensorParallel : count;
}

function findGpu(gpus: GpuInfo[], pin: number | string): GpuInfo | undefined {
  if (typeof pin === 'number' || /^\d+$/.test(pin)) return gpus.find((g) => g.index === Number(pin));
  return gpus.find((g) => g.uuid === pin || g.uuid === `GPU-${pin}`);
}

/**
 * Explicit pins are honoured first; the rest go first-fit-decreasing onto the GPUs with the most
 * free memory left, so large shards are not starved by small ones placed earlier.
 */
export function planPlacement(shards: ShardConfig[], gpus: GpuInfo[]): PlacementPlan {
  const problems: string[] = [];
  const free = new Map<number, number | null>(gpus.map((g) => [g.index, freeMemoryMiB(g)]));
  const onGpu = new Map<number, string[]>(gpus.map((g) => [g.index, []]));
  const chosen = new Map<string, GpuInfo[]>();

  const take = (s: ShardConfig, list: GpuInfo[]) => {
    for (const g of list) {
      const f = free.get(g.index);
      if (f !== null && f !== undefined) free.set(g.index, f - s.memoryMiB);
      onGpu.get(g.index)?.push(s.name);
    }
    chosen.set(s.name, list);
  };

  for (const s of shards) {
    if (!Array.isArray(s.gpus)) continue;
    const list: GpuInfo[] = [];
    for (const pin of s.gpus) {
      const g = findGpu(gpus, pin);
      if (!g) problems.push(`${s.name}: pinned GPU ${pin} does not exist (found ${gpus.length} GPU${gpus.length === 1 ? '' : 's'})`);
      else if (list.includes(g)) problems.push(`${s.name}: GPU ${pin} is pinned twice`);
      else list.push(g);
    }
    for (const g of list) {
      const f = free.get(g.index);
      if (f !== null && f !== undefined && f < s.memoryMiB) problems.push(`${s.name}: needs ${s.memoryMiB} MiB on GPU ${g.index}, only ${f} MiB free`);
    }
    take(s, list);
  }

  const byCount = shards.filter((s) => !Array.isArray(s.gpus)).sort((a, b) => wantedCount(b) * b.memoryMiB - wantedCount(a) * a.memoryMiB);
  for (const s of byCount) {
    const n = wantedCount(s);
    if (n === 0) {
      chosen.set(s.name, []);
      continue;
    }
    const fits = gpus
      .filter((g) => {
        const f = free.get(g.index);
        return f === null || f === undefined || f >= s.memoryMiB;
      })
      .sort((a, b) => (free.get(b.index) ?? Infinity) - (free.get(a.index) ?? Infinity) || a.index - b.index);
    if (fits.length < n) {
      const why = gpus.length < n ? `only ${gpus.length} GPU${gpus.length === 1 ? '' : 's'} found` : `only ${fits.length} GPU${fits.length === 1 ? ' has' : 's have'} ${s.memoryMiB} MiB free`;
      problems.push(`${s.name}: needs ${n} GPU${n === 1 ? '' : 's'} with ${s.memoryMiB} MiB free each, ${why}`);
      chosen.set(s.name, []);
      continue;
    }
    take(s, fits.slice(0, n).sort((a, b) => a.index - b.index));
  }

  const placements = shards.map((s): ShardPlacement => {
    const list = chosen.get(s.name) ?? [];
    const tp = s.tensorParallel ?? Math.max(1, list.length);
    if (s.engine === 'vllm' && list.length > 0 && tp > list.length) problems.push(`${s.name}: tensorParallel ${tp} needs ${tp} GPUs, has ${list.length}`);
    return {
      shard: s.name,
      engine: s.engine,
      gpuIndices: list.map((g) => g.index),
      gpuUuids: list.map((g) => g.uuid),
      memoryMiB: s.memoryMiB,
      tensorParallel: tp,
      env: { CUDA_DEVICE_ORDER: 'PCI_BUS_ID', CUDA_VISIBLE_DEVICES: list.map((g) => g.uuid).join(',') },
    };
  });
  const names = new Set<string>();
  for (const s of shards) {
    if (names.has(s.name)) problems.push(`${s.name}: two shards share this name`);
    names.add(s.name);
  }
  return {
    shards: placements,
    gpus: gpus.map((g) => ({
      index: g.index,
      uuid: g.uuid,
      name: g.name,
      freeMiB: freeMemoryMiB(g),
      freeAfterMiB: free.get(g.index) ?? null,
      shards: onGpu.get(g.index) ?? [],
    })),
    problems,
  };
}

export function formatPlan(plan: PlacementPlan): string {
  const lines: string[] = [];
  for (const s of plan.shards) {
    const where = s.gpuIndices.length ? `GPU ${s.gpuIndices.join(',')}` : 'CPU';
    lines.push(`  ${s.shard} (${s.engine}) → ${where}${s.memoryMiB ? `, ${s.memoryMiB} MiB/GPU` : ''}${s.gpuIndices.length > 1 ? `, TP ${s.tensorParallel}` : ''}`);
  }
  for (const g of plan.gpus) {
    const mem = g.freeMiB === null ? 'memory unknown' : `${g.freeMiB} MiB free → ${g.freeAfterMiB} MiB after`;
    lines.push(`  GPU ${g.index} ${g.name}: ${mem}${g.shards.length ? ` [${g.shards.join(', ')}]` : ''}`);
  }
  if (plan.gpus.length === 0) lines.push('  (no GPUs found)');
  return lines.join('\n');
}

export const PLACEMENT_HINT = 'lower memoryMiB or gpus for the shards above, free GPU memory, or pin shards to other GPUs';

/** Refuses a plan with problems; the message carries the whole plan so the user sees what would go where. */
export function assertPlanFits(plan: PlacementPlan): void {
  if (plan.problems.length === 0) return;
  throw new ServeError(`placement does not fit:\n${plan.problems.map((p) => `  - ${p}`).join('\n')}\nplan:\n${formatPlan(plan)}`, { hint: PLACEMENT_HINT });
}
