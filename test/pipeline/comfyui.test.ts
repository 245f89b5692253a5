import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { drainJobs } from '../../src/pipeline/dreamer.js';
import { startFakeComfy, type FakeComfy, type FakeComfyOptions } from '../helpers/comfyui-fake.js';
import { pipelineFixture, planJson, type PipelineFixture } from '../helpers/pipeline-fixture.js';

const WORKFLOW = {
  '3': { class_type: 'KSampler', inputs: { seed: 1, steps: 20, model: ['4', 0], positive: ['6', 0] } },
  '6': { class_type: 'CLIPTextEncode', inputs: { text: 'masterpiece, {{prompt}}', clip: ['4', 1] } },
  '9': { class_type: 'SaveImage', inputs: { filename_prefix: 'luna/LUNA', images: ['8', 0] } },
};

let fx: PipelineFixture | null = null;
let comfy: FakeComfy | null = null;
afterEach(async () => {
  await fx?.close();
  await comfy?.close();
  fx = comfy = null;
});

async function setup(fake: FakeComfyOptions, comfyCfg: Record<string, unknown> = {}) {
  comfy = await startFakeComfy(fake);
  const dir = mkdtempSync(path.join(tmpdir(), 'luna-comfy-'));
  const workflow = path.join(dir, 'workflow_api.json');
  writeFileSync(workflow, JSON.stringify(WORKFLOW));
  fx = await pipelineFixture({
    agents: {
      preprocessor: { model: 'scribe' },
      strategist: { model: 'planner' },
      writer: { model: 'scribe' },
      dreamer: { model: 'scribe', arcEvery: 50, extractFacts: false, comfyui: { url: comfy.url, workflow, gpuHourUsd: 3.6, retryBackoffMs: 10, pollMs: 50, ...comfyCfg } },
    },
  });
  const story = await fx.store.createStory({ title: 'Harbour', premise: 'Maren keeps the light' });
  fx.strategist.setDefault({ kind: 'json', value: planJson({ factChanges: [], entities: [] }) });
  fx.writer.script({ kind: 'text', chunks: ['The lamp swings over black water.'] }, { kind: 'text', chunks: ['a lighthouse at night, storm clouds'] });
  const events = await fx.play({ storyId: story.id, action: 'I climb the tower' });
  const done = events.at(-1)!;
  if (done.type !== 'done') throw new Error(JSON.stringify(done));
  return { story, turnId: done.turn.id };
}

const comfyRows = async () => (await fx!.store.listCalls({})).filter((r) => r.provider === 'comfyui');

describe('Dreamer → ComfyUI → images on disk, linked to the turn', () => {
  it('over the websocket: submits the prompt in the workflow, downloads the output PNG, stores and ledgers it', async () => {
    const { story, turnId } = await setup({ gpuMs: 2500, width: 8, height: 6 });
    const r = await drainJobs(fx!.session.deps, { workerId: 't' });
    expect(r).toMatchObject({ done: 1, failed: 0 });
    const sent = comfy!.bodies[0];
    expect(sent.prompt['6'].inputs.text).toBe('masterpiece, a lighthouse at night, storm clouds');
    expect(sent.extra_data.luna.turnId).toBe(turnId);
    expect(comfy!.wsClients).toEqual([sent.client_id]);
    // the websocket said when: no polling loop, one history read after `executing` node null
    expect(comfy!.requests.filter((q) => q.startsWith('GET /history/'))).toHaveLength(1);
    expect(comfy!.requests).toContain('GET /view');
    const images = await fx!.store.listTurnImages(story.id);
    expect(images).toHaveLength(1);
    const img = images[0]!;
    expect(img).toMatchObject({ turnId, n: 1, mime: 'image/png', width: 8, height: 6, prompt: 'a lighthouse at night, storm clouds' });
    expect(img.path).toBe(path.join(fx!.home, 'images', story.id, `${turnId}-1.png`));
    const bytes = readFileSync(img.path);
    expect(bytes.subarray(1, 4).toString()).toBe('PNG');
    expect(img.bytes).toBe(bytes.length);
    // 2.5 GPU-seconds at $3.60 per GPU-hour = $0.0025
    const [row] = await comfyRows();
    expect(row).toMatchObject({ agent: 'dreamer', provider: 'comfyui', model: 'workflow_api', outcome: 'ok', latencyMs: 2500, storyId: story.id, turnId });
    expect(row!.costUsd).toBeCloseTo(0.0025, 10);
  });

  it('without a websocket it polls /history; several outputs become n = 1, 2 and temp previews are skipped', async () => {
    const { story } = await setup({ noWebsocket: true, images: 2 });
    expect((await drainJobs(fx!.session.deps, { workerId: 't' })).done).toBe(1);
    expect(comfy!.wsClients).toEqual([]);
    const images = await fx!.store.listTurnImages(story.id);
    expect(images.map((i) => i.n)).toEqual([1, 2]);
    for (const i of images) expect(existsSync(i.path)).toBe(true);
    expect(comfy!.requests.filter((q) => q === 'GET /view')).toHaveLength(2);
  });

  it('retries a 503 on submission with backoff, then succeeds', async () => {
    const { story } = await setup({ unavailable: 2 }, { transport: 'poll' });
    expect((await drainJobs(fx!.session.deps, { workerId: 't' })).done).toBe(1);
    expect(comfy!.bodies).toHaveLength(3);
    expect(await fx!.store.listTurnImages(story.id)).toHaveLength(1);
  });

  it('a 400 with node_errors fails the job at once (no retry) with the node message, and ledgers a zero-cost failure', async () => {
    const { story } = await setup({ refuse: true });
    const r = await drainJobs(fx!.session.deps, { workerId: 't' });
    expect(r).toMatchObject({ done: 0, failed: 1, retried: 0 });
    expect(comfy!.bodies).toHaveLength(1);
    const [job] = await fx!.store.listJobs({ state: 'failed' });
    expect(job!.lastError).toMatch(/ComfyUI refused the workflow: node 6 \(CLIPTextEncode\): Required input is missing: clip/);
    expect(await fx!.store.listTurnImages(story.id)).toEqual([]);
    expect(await comfyRows()).toEqual([expect.objectContaining({ outcome: 'failed', costUsd: 0 })]);
  });

  it('an execution_error fails the attempt with the node and exception (the queue retries it later); the prompt is kept for the retry', async () => {
    const { turnId } = await setup({ mode: 'exec-error' });
    const r = await drainJobs(fx!.session.deps, { workerId: 't' });
    expect(r).toMatchObject({ done: 0, retried: 1 });
    const [job] = await fx!.store.listJobs({});
    expect(job!.lastError).toMatch(/node 3 \(KSampler\): CUDA out of memory/);
    expect((await fx!.store.getImagePrompts([turnId]))[turnId]).toBe('a lighthouse at night, storm clouds');
    expect(await comfyRows()).toEqual([expect.objectContaining({ outcome: 'failed' })]);
  });

  it('times out a server that never finishes, cancels the prompt there, and charges the wall time', async () => {
    await setup({ mode: 'never' }, { runTimeoutMs: 1500 });
    const r = await drainJobs(fx!.session.deps, { workerId: 't' });
    expect(r.done).toBe(0);
    const [job] = await fx!.store.listJobs({});
    expect(job!.lastError).toMatch(/did not finish prompt .* within 1.5 s \(runTimeoutMs\)/);
    expect(comfy!.requests).toContain('POST /queue');
    const [row] = await comfyRows();
    expect(row!.outcome).toBe('failed');
    expect(row!.latencyMs).toBeGreaterThanOrEqual(1500);
    expect(row!.costUsd).toBeGreaterThan(0);
  });

  it('a workflow that saves no image (only a temp preview) fails the job at once, saying what to add', async () => {
    const { story } = await setup({ images: 0 }, { transport: 'poll' });
    expect(await drainJobs(fx!.session.deps, { workerId: 't' })).toMatchObject({ done: 0, failed: 1, retried: 0 });
    const [job] = await fx!.store.listJobs({});
    expect(job!.lastError).toMatch(/saved no image/);
    expect(comfy!.requests).not.toContain('GET /view');
    expect(await fx!.store.listTurnImages(story.id)).toEqual([]);
  });

  it('an images folder that cannot be written fails the attempt; the retry stores the picture rendered then, without a second run or charge', async () => {
    // A file where the folder should be: refused even as root, which a read-only mode is not.
    const imagesDir = path.join(mkdtempSync(path.join(tmpdir(), 'luna-ro-')), 'images');
    writeFileSync(imagesDir, 'not a folder');
    const { story, turnId } = await setup({ gpuMs: 2000 }, { imagesDir, transport: 'poll' });
    expect(await drainJobs(fx!.session.deps, { workerId: 't' })).toMatchObject({ done: 0, retried: 1 });
    const [job] = await fx!.store.listJobs({});
    expect(job!.lastError).toContain(imagesDir);
    const spool = path.join(fx!.home, 'spool', 'images', story.id, turnId);
    expect(readdirSync(spool).sort()).toEqual(['1.png', 'manifest.json']);
    rmSync(imagesDir);
    mkdirSync(imagesDir);
    await fx!.store.enqueueJobs([{ kind: 'image-prompt', storyId: story.id, turnId }]);
    expect(await drainJobs(fx!.session.deps, { workerId: 't' })).toMatchObject({ done: 1 });
    expect(comfy!.bodies).toHaveLength(1);
    expect(await comfyRows()).toEqual([expect.objectContaining({ outcome: 'ok', latencyMs: 2000 })]);
    const [img] = await fx!.store.listTurnImages(story.id);
    expect(img!.path).toBe(path.join(imagesDir, story.id, `${turnId}-1.png`));
    expect(readFileSync(img!.path).readUInt32BE(16)).toBe(img!.width);
    expect(existsSync(path.join(fx!.home, 'spool', 'images', story.id))).toBe(false);
  });

  it('a re-run replaces the turn\'s images instead of adding more', async () => {
    const { story, turnId } = await setup({});
    await drainJobs(fx!.session.deps, { workerId: 't' });
    await fx!.store.enqueueJobs([{ kind: 'image-prompt', storyId: story.id, turnId }]);
    await drainJobs(fx!.session.deps, { workerId: 't' });
    expect(comfy!.bodies).toHaveLength(2);
    expect(await fx!.store.listTurnImages(story.id)).toHaveLength(1);
  });
});
