import { execa } from 'execa';

/** One GPU as nvidia-smi reports it. Values nvidia-smi cannot read (`[N/A]`, `[Not Supported]`) are null. */
export interface GpuInfo {
  index: number;
  uuid: string;
  name: string;
  memoryTotalMiB: number | null;
  memoryUsedMiB: number | null;
  utilizationPct: number | null;
  temperatureC: number | null;
  powerW: number | null;
}

export const NVIDIA_SMI_ARGS = [
  '--query-gpu=index,uuid,name,memory.total,memory.used,utilization.gpu,temperature.gpu,power.draw',
  '--format=csv,noheader,nounits',
];

function num(field: string | undefined): number | null {
  if (field === undefined) return null;
  const t = field.trim();
  if (t === '' || t.startsWith('[')) return null;
  const v = Number(t);
  return Number.isFinite(v) ? v : null;
}

/** Parses `--format=csv,noheader,nounits` output; lines that are not GPU rows (warnings) are skipped. */
export function parseNvidiaSmi(text: string): GpuInfo[] {
  const gpus: GpuInfo[] = [];
  for (const line of text.split(/\r?\n/)) {
    const f = line.split(',').map((s) => s.trim());
    if (f.length < 8) continue;
    const index = num(f[0]);
    if (index === null || !Number.isInteger(index)) continue;
    gpus.push({
      index,
      uuid: f[1] ?? '',
      name: f[2] ?? '',
      memoryTotalMiB: num(f[3]),
      memoryUsedMiB: num(f[4]),
      utilizationPct: num(f[5]),
      temperatureC: num(f[6]),
      powerW: num(f[7]),
    });
  }
  return gpus;
}

export interface GpuDiscovery {
  gpus: GpuInfo[];
  /** Why there are no GPUs (binary missing, driver error); null when nvidia-smi answered. */
  problem: string | null;
}

/** No nvidia-smi (or a failing one) means zero GPUs: CPU shards still run. */
export async function discoverGpus(bin = 'nvidia-smi', timeoutMs = 10_000): Promise<GpuDiscovery> {
  try {
    const r = await execa(bin, NVIDIA_SMI_ARGS, { reject: false, timeout: timeoutMs, stdin: 'ignore' });
    if (r.failed) {
      const why = r.code === 'ENOENT' ? `${bin} not found` : ((r.stderr || r.stdout || r.shortMessage) ?? "").split("\n")[0];
      return { gpus: [], problem: why ?? `${bin} failed` };
    }
    return { gpus: parseNvidiaSmi(r.stdout), problem: null };
  } catch (err) {
    return { gpus: [], problem: err instanceof Error ? err.message : String(err) };
  }
}

export function freeMemoryMiB(g: GpuInfo): number | null {
  if (g.memoryTotalMiB === null) return null;
  return g.memoryTotalMiB - (g.memoryUsedMiB ?? 0);
}

export interface HostInfo {
  cpuModel: string;
  cores: number;
  memoryTotalMiB: number;
  memoryAvailableMiB: number;
}

/** Host CPU/RAM only: GPUs always come from nvidia-smi, which reports what CUDA will see. */
export async function hostInfo(): Promise<HostInfo> {
  const si = await import('systeminformation');
  const [cpu, mem] = await Promise.all([si.cpu(), si.mem()]);
  return {
    cpuModel: `${cpu.manufacturer} ${cpu.brand}`.trim(),
    cores: cpu.cores,
    memoryTotalMiB: Math.round(mem.total / 1048576),
    memoryAvailableMiB: Math.round(mem.available / 1048576),
  };
}
