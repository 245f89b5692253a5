import path from 'node:path';
import type { LunaConfig } from '../config/schema.js';
import { isAbortError } from '../errors.js';
import { selfHostedHourUsd } from '../models/pricing.js';
import type { LedgerCall, RenderImages } from '../pipeline/deps.js';
import { createComfyUiClient, type ComfyUiConfig } from './comfyui.js';
import { storeTurnImages } from './files.js';
import { openImageStore, type ImageStoreTarget } from './store.js';

/**
 * The Dreamer's image step as an injected dependency: run the prompt on ComfyUI, write the images under
 * imagesDir or into the imagesStore bucket, and price the run like other self-hosted work (GPU-seconds x $/GPU-hour). A failure carries its
 * ledger row in `calls` (as model calls do), so a run the server did spend time on is never lost from cost.
 */
export function createImageRenderer(comfy: ComfyUiConfig & ImageStoreTarget & { gpuHourUsd?: number }, config: LunaConfig, home: string): RenderImages {
  const client = createComfyUiClient(comfy);
  const images = openImageStore(comfy, home);
  const hourUsd = comfy.gpuHourUsd ?? selfHostedHourUsd(config.cost.selfHosted);
  const model = path.basename(comfy.workflow).replace(/\.json$/i, '') || 'workflow';
  const row = (outcome: LedgerCall['outcome'], gpuMs: number): LedgerCall => ({
    agent: 'dreamer', provider: 'comfyui', model, inputTokens: 0, outputTokens: 0, cachedTokens: 0, estimated: false,
    // For ComfyUI rows the latency is the GPU time charged, so `luna cost` can show GPU-seconds per story.
    latencyMs: gpuMs, ttftMs: null, outcome, costUsd: (gpuMs / 3_600_000) * hourUsd, priceInPerMTok: null, priceOutPerMTok: null,
  });
  return async (prompt, meta, signal) => {
    const started = Date.now();
    let accepted = false;
    try {
      const run = await client.run(prompt, meta, signal, () => { accepted = true; });
      // A store that fails (bucket down, access denied) fails the attempt: the queue retries the job, the turn stays.
      const stored = await storeTurnImages(images, meta.storyId, meta.turnId, run.images);
      return { images: stored, calls: [row('ok', run.gpuMs)], gpuSeconds: run.gpuMs / 1000, transport: run.transport };
    } catch (err) {
      // Refused or unreachable before ComfyUI took the prompt: no GPU time. Accepted, then failed or timed out:
      // the GPU may have worked the whole time, so the wall time is charged (an upper bound, never a silent 0).
      if (!isAbortError(err) && err && typeof err === 'object') Object.assign(err, { calls: [row('failed', accepted ? Date.now() - started : 0)] });
      throw err;
    }
  };
}
