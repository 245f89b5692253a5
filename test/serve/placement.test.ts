import { afterAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { serveSchema } from '../../src/config/schema.js';
import { ExitCode } from '../../src/errors.js';
import { discoverGpus, parseNvidiaSmi } from '../../src/serve/gpu.js';
import { assertPlanFits, planPlacement } from '../../src/serve/placement.js';
import { ServeError } from '../../src/serve/errors.js';
import { makeSandbox } from './helpers.js';

const box = makeSandbox();
afterAll(() => box.cleanup());
const smi = path.join(box.bin, 'nvidia-smi');
const shards = (list: unknown[]) => serveSchema.parse({ shards: list }).shards;

describe('GPU discovery', () => {
  it('reads four GPUs from nvidia-smi, mapping [N/A] and [Not Supported] to null', async () => {
    const { gpus, problem } = await discoverGpus(smi);
    expect(problem).toBeNull();
    expect(gpus.map((g) => g.index)).toEqual([0, 1, 2, 3]);
    expect(gpus[1]).toMatchObject({ uuid: 'GPU-22222222-aaaa-bbbb-cccc-000000000001', memoryTotalMiB: 81920, memoryUsedMiB: 40960, utilizationPct: 87, temperatureC: 63, powerW: 301.2 });
    expect(gpus[2]!.powerW).toBeNull();
    expect(gpus[3]).toMatchObject({ utilizationPct: null, temperatureC: null, powerW: null, memoryUsedMiB: 500 });
  });

  it('treats a missing or failing nvidia-smi as zero GPUs', async () => {
    const missing = await discoverGpus(path.join(box.dir, 'no-such-nvidia-smi'));
    expect(missing.gpus).toEqual([]);
    expect(missing.problem).toMatch(/not found/);
    process.env.FAKE_NVIDIA_SMI_FAIL = '1';
    try {
      const broken = await discoverGpus(smi);
      expect(broken.gpus).toEqual([]);
      expect(broken.problem).toMatch(/NVIDIA driver/);
    } finally {
      delete process.env.FAKE_NVIDIA_SMI_FAIL;
    }
  });

  it('skips warning lines mixed into the CSV', () => {
    expect(parseNvidiaSmi('WARNING: infoROM is corrupted at gpu 0000:00:04.0\n0, GPU-x, T4, 15360, 0, 0, 30, 20.1\n')).toHaveLength(1);
  });
});

describe('placement', () => {
  it('places shards on four GPUs by free memory and honours pins by index and UUID', async () => {
    const { gpus } = await discoverGpus(smi);
    const plan = planPlacement(shards([
      { name: 'big', engine: 'vllm', model: 'm', gpus: 2, memoryMiB: 30000, tensorParallel: 2 },
      { name: 'pinned', engine: 'llamacpp', model: 'm.gguf', gpus: ['GPU-44444444-aaaa-bbbb-cccc-000000000003'], memoryMiB: 8000 },
      { name: 'small', engine: 'vllm', model: 'm', gpus: 1, memoryMiB: 20000 },
      { name: 'cpu', engine: 'local', model: 'x.gguf' },
    ]), gpus);
    expect(plan.problems).toEqual([]);
    const by = Object.fromEntries(plan.shards.map((s) => [s.shard, s]));
    // GPU 0 (80 GiB free) and GPU 1 (40 GiB free) are the only ones that fit 30000 MiB.
    expect(by.big!.gpuIndices).toEqual([0, 1]);
    expect(by.big!.env).toEqual({ CUDA_DEVICE_ORDER: 'PCI_BUS_ID', CUDA_VISIBLE_DEVICES: 'GPU-11111111-aaaa-bbbb-cccc-000000000000,GPU-22222222-aaaa-bbbb-cccc-000000000001' });
    expect(by.pinned!.gpuIndices).toEqual([3]);
    // after `big`, GPU 0 has 50896 MiB free: the most, so `small` goes there
    expect(by.small!.gpuIndices).toEqual([0]);
    expect(by.cpu!.gpuIndices).toEqual([]);
    expect(by.cpu!.env.CUDA_VISIBLE_DEVICES).toBe('');
    expect(plan.gpus.find((g) => g.index === 0)!.freeAfterMiB).toBe(81920 - 1024 - 30000 - 20000);
    expect(() => assertPlanFits(plan)).not.toThrow();
  });

  it('refuses a plan that does not fit, showing the plan, with exit code 11', async () => {
    const { gpus } = await discoverGpus(smi);
    const plan = planPlacement(shards([
      { name: 'huge', engine: 'vllm', model: 'm', gpus: 2, memoryMiB: 60000 },
      { name: 'wide', engine: 'vllm', model: 'm', gpus: 5 },
      { name: 'ghost', engine: 'llamacpp', model: 'm', gpus: [7] },
    ]), gpus);
    let err: unknown;
    try {
      assertPlanFits(plan);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ServeError);
    const e = err as ServeError;
    expect(e.exitCode).toBe(ExitCode.serve);
    expect(e.message).toContain('huge: needs 2 GPUs with 60000 MiB free each, only 1 GPU has 60000 MiB free');
    expect(e.message).toContain('wide: needs 5 GPUs');
    expect(e.message).toContain('ghost: pinned GPU 7 does not exist');
    expect(e.message).toMatch(/GPU 3 NVIDIA L4: 22534 MiB free/);
  });

  it('with no GPUs, CPU shards still plan and GPU shards are refused', () => {
    const plan = planPlacement(shards([{ name: 'cpu', engine: 'llamacpp', model: 'm.gguf' }, { name: 'gpu', engine: 'vllm', model: 'm', gpus: 1 }]), []);
    expect(plan.shards[0]!.gpuIndices).toEqual([]);
    expect(plan.problems).toEqual(['gpu: needs 1 GPU with 0 MiB free each, only 0 GPUs found']);
  });
});
