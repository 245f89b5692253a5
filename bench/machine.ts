import { createHash } from 'node:crypto';
import os from 'node:os';

/**
 * How fast this machine is running now, to read a bench's figures against: the same 2-core machine has run the
 * same code 1.5–2× slower on some days and hours than on others (shared hosts), which moved every latency goal
 * across its line. `calibrationMs`: the median of 5 runs of a fixed single-threaded workload (hashing,
 * JSON, a regex over text, sorting: the kinds of work a turn's assembly does), taken before and after the
 * benches; lower is faster. Compare runs by it before comparing their figures.
 */
export interface MachineReading {
  cpus: number;
  cpuModel: string;
  loadAverage1m: number;
  calibrationMs: number;
}

const TEXT = Array.from({ length: 4000 }, (_, i) => `Turn ${i}: the Lantern Ferryman hid the brass key under stone ${i % 97}.`).join(' ');
const DOC = { turns: Array.from({ length: 2000 }, (_, i) => ({ id: `t${i}`, depth: i, prose: `The road goes on, ${i}.`, plan: { beats: ['a', 'b'], mood: i % 5 } })) };

function workload(): number {
  let acc = 0;
  for (let i = 0; i < 40; i++) acc += createHash('sha256').update(TEXT).digest()[0]!;
  for (let i = 0; i < 10; i++) acc += (JSON.parse(JSON.stringify(DOC)) as typeof DOC).turns.length;
  for (let i = 0; i < 10; i++) acc += TEXT.match(/\b\p{Lu}[\p{Ll}]+\b/gu)?.length ?? 0;
  const xs = Array.from({ length: 100_000 }, (_, i) => (i * 7919) % 100_003);
  acc += xs.sort((a, b) => a - b)[500]!;
  return acc;
}

export function readMachine(): MachineReading {
  workload();
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    workload();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const cpus = os.cpus();
  return { cpus: cpus.length, cpuModel: cpus[0]?.model ?? 'unknown', loadAverage1m: +os.loadavg()[0]!.toFixed(2), calibrationMs: +times[2]!.toFixed(1) };
}
