import path from 'node:path';
import type { LunaConfig } from '../config/schema.js';
import { isAbortError } from '../errors.js';
import { selfHostedHourUsd } from '../models/pricing.js';
import type { LedgerCall, RenderImages } from '../pipeline/deps.js';
import { createComfyUiClient, type ComfyUiConfig } from './comfyui.js';
import { storeTurnImages } from './files.js';
import { createImageSpool } from './spool.js';
import { openImageStore, type ImageStoreTarget } from './store.js';

/**
 * The Dreamer's image step as an injected dependency: run the prompt on ComfyUI, write the images under
 * imagesDir or into the imagesStore bucket, and price the run like other self-hosted work (GPU-seconds x $/GPU-hour). A failure carries its
 * ledger row in `calls` (as model calls do), so a run the server did spend time on is never lost from cost.
 * A run whose pictures the store refused is kept in the spool (./spool.ts): the retry stores those, so the GPU
 * is paid once.
 */
export function createImageRenderer(comfy: ComfyUiConfig & ImageStoreTarget & { gpuHourUsd?: number }, config: LunaConfig, home: string): RenderImages {
  const client = createComfyUiClient(comfy);
  const images = openImageStore(comfy, home);
  const spool = createImageSpool(home);
  const hourUsd = comfy.gpuHourUsd ?? selfHostedHourUsd(config.cost.selfHosted);
  const model = path.basename(comfy.workflow).replace(/\.json$/i, '') || 'workflow';
  const row = (outcome: LedgerCall['outcome'], gpuMs: number): LedgerCall => ({
    agent: 'dreamer', provider: 'comfyui', model, inputTokens: 0, outputTokens: 0, cachedTokens: 0, estimated: false,
    // For ComfyUI rows the latency is the GPU time charged, so `luna cost` can show GPU-seconds per story.
    latencyMs: gpuMs, ttftMs: null, outcome, costUsd: (gpuMs / 3_600_000) * hourUsd, priceInPerMTok: null, priceOutPerMTok: null,
  });
  return async (prompt, meta, signal) => {
    const key = client.fingerprint(prompt);
    const release = () => spool.discard(meta, key);
    const kept = spool.take(meta, key);
    if (kept) {
      // Rendered (and charged) by an earlier attempt; a store that still fails leaves the spool for the next one.
      const stored = await storeTurnImages(images, meta.storyId, meta.turnId, kept.images);
      return { images: stored, calls: [], gpuSeconds: 0, transport: kept.transport, fromSpool: true, release };
    }
    const started = Date.now();
    let accepted = false;
    let run: Awaited<ReturnType<typeof client.run>>;
    try {
      run = await client.run(prompt, meta, signal, () => { accepted = true; });
    } catch (err) {
      // Refused or unreachable before ComfyUI took the prompt: no GPU time. Accepted, then failed or timed out:
      // the GPU may have worked the whole time, so the wall time is charged (an upper bound, never a silent 0).
      if (!isAbortError(err) && err && typeof err === 'object') Object.assign(err, { calls: [row('failed', accepted ? Date.now() - started : 0)] });
      throw err;
    }
    const calls = [row('ok', run.gpuMs)];
    try {
      const stored = await storeTurnImages(images, meta.storyId, meta.turnId, run.images);
      return { images: stored, calls, gpuSeconds: run.gpuMs / 1000, transport: run.transport, release };
    } catch (err) {
      // The render succeeded and is charged now, once; its bytes wait in the spool so the queue's retry of the
      // job (bucket down, access denied) stores them instead of paying ComfyUI again.
      spool.keep(meta, key, { images: run.images, transport: run.transport, gpuMs: run.gpuMs });
      if (err && typeof err === 'object') Object.assign(err, { calls });
      throw err;
    }
  };
}
