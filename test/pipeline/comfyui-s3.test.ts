import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { drainJobs } from '../../src/pipeline/dreamer.js';
import { startFakeComfy, type FakeComfy } from '../helpers/comfyui-fake.js';
import { pipelineFixture, planJson, type PipelineFixture } from '../helpers/pipeline-fixture.js';
import { startFakeS3, type FakeS3 } from '../helpers/s3-fake.js';

const KEY_ID = 'LUNATESTKEYID0000002';
const SECRET = 'pipeline-secret-0123456789abcdefghijklmn';
const WORKFLOW = {
  '6': { class_type: 'CLIPTextEncode', inputs: { text: 'masterpiece, {{prompt}}', clip: ['4', 1] } },
  '9': { class_type: 'SaveImage', inputs: { filename_prefix: 'luna/LUNA', images: ['8', 0] } },
};
const saved = { ...process.env };
let s3: FakeS3;
let fx: PipelineFixture | null = null;
let comfy: FakeComfy | null = null;

beforeAll(async () => {
  s3 = await startFakeS3({ accessKeyId: KEY_ID, secretAccessKey: SECRET, buckets: [] });
  const dir = mkdtempSync(path.join(tmpdir(), 'luna-s3p-'));
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: KEY_ID, AWS_SECRET_ACCESS_KEY: SECRET, AWS_EC2_METADATA_DISABLED: 'true',
    AWS_SHARED_CREDENTIALS_FILE: path.join(dir, 'none'), AWS_CONFIG_FILE: path.join(dir, 'none'),
  });
});
afterEach(async () => {
  await fx?.close();
  await comfy?.close();
  fx = comfy = null;
});
afterAll(async () => {
  process.env = saved;
  await s3.close();
});

async function setup(bucket: string, fake: Parameters<typeof startFakeComfy>[0] = {}) {
  comfy = await startFakeComfy({ gpuMs: 1000, width: 8, height: 6, ...fake });
  const dir = mkdtempSync(path.join(tmpdir(), 'luna-comfy-s3-'));
  writeFileSync(path.join(dir, 'workflow_api.json'), JSON.stringify(WORKFLOW));
  fx = await pipelineFixture({
    agents: {
      preprocessor: { model: 'scribe' }, strategist: { model: 'planner' }, writer: { model: 'scribe' },
      dreamer: { model: 'scribe', arcEvery: 50, extractFacts: false, comfyui: { url: comfy.url, workflow: path.join(dir, 'workflow_api.json'), gpuHourUsd: 3.6, retryBackoffMs: 10, transport: 'poll', pollMs: 50, imagesStore: { url: `s3://${bucket}/prod`, endpoint: s3.url } } },
    },
  });
  const story = await fx.store.createStory({ title: 'Harbour', premise: 'Maren keeps the light' });
  fx.strategist.setDefault({ kind: 'json', value: planJson({ factChanges: [], entities: [] }) });
  fx.writer.script({ kind: 'text', chunks: ['The lamp swings over black water.'] }, { kind: 'text', chunks: ['a lighthouse at night'] });
  const done = (await fx.play({ storyId: story.id, action: 'I climb the tower' })).at(-1)!;
  if (done.type !== 'done') throw new Error(JSON.stringify(done));
  return { storyId: story.id, turnId: done.turn.id };
}

/** Runs the queue as `luna dream` does (polling, real backoff) until a job is done or fails for good. */
async function drainUntilSettled(onRetry: () => void) {
  const ac = new AbortController();
  const outcomes: string[] = [];
  await drainJobs({ ...fx!.session.deps, signal: ac.signal }, {
    workerId: 't', once: false, pollMs: 100,
    onJob: (_job, outcome) => {
      outcomes.push(outcome);
      if (outcome === 'retry') onRetry();
      else ac.abort();
    },
  });
  return outcomes;
}

const comfyRows = async () => (await fx!.store.listCalls({})).filter((r) => r.provider === 'comfyui');
const spoolOf = (storyId: string) => path.join(fx!.home, 'spool', 'images', storyId);

describe('Dreamer → ComfyUI → an S3 bucket', () => {
  it('a bucket that refuses the first attempt: the retry stores the picture rendered then — ComfyUI runs once, the GPU is charged once, the spool is gone', async () => {
    s3.options.buckets.push('luna-spool');
    s3.options.denied = ['luna-spool'];
    const { storyId, turnId } = await setup('luna-spool');
    let spooled: string[] = [];
    const outcomes = await drainUntilSettled(() => {
      // Between the attempts: the rendered picture waits in the home's spool, never in the bucket.
      spooled = readdirSync(path.join(spoolOf(storyId), turnId));
      s3.options.denied = [];
    });
    expect(outcomes).toEqual(['retry', 'done']);
    expect(spooled.sort()).toEqual(['1.png', 'manifest.json']);
    const [job] = await fx!.store.listJobs({});
    expect(job).toMatchObject({ state: 'done', attempts: 2 });
    expect(comfy!.requests.filter((r) => r === 'POST /prompt')).toHaveLength(1);
    expect(comfy!.requests.filter((r) => r === 'GET /view')).toHaveLength(1);
    // One row for the one render, at the GPU time ComfyUI reported: 1 s at $3.60/h.
    const rows = await comfyRows();
    expect(rows).toEqual([expect.objectContaining({ outcome: 'ok', latencyMs: 1000, turnId })]);
    expect(rows[0]!.costUsd).toBeCloseTo(0.001, 10);
    const [img] = await fx!.store.listTurnImages(storyId);
    expect(img).toMatchObject({ path: `s3://luna-spool/prod/${storyId}/${turnId}-1.png`, mime: 'image/png', width: 8, height: 6 });
    const obj = s3.objects.get(`luna-spool/prod/${storyId}/${turnId}-1.png`)!;
    expect(obj.bytes.readUInt32BE(16)).toBe(8);
    expect(img!.bytes).toBe(obj.bytes.length);
    expect([...s3.objects.keys()].filter((k) => k.startsWith('luna-spool/'))).toEqual([`luna-spool/prod/${storyId}/${turnId}-1.png`]);
    expect(existsSync(spoolOf(storyId))).toBe(false);
  });

  it('a re-run for another prompt does not take the spooled picture: it renders its own and drops the old one', async () => {
    s3.options.buckets.push('luna-rerun');
    s3.options.denied = ['luna-rerun'];
    const { storyId, turnId } = await setup('luna-rerun');
    expect(await drainJobs(fx!.session.deps, { workerId: 't' })).toMatchObject({ retried: 1 });
    expect(existsSync(path.join(spoolOf(storyId), turnId, 'manifest.json'))).toBe(true);
    // The turn's saved prompt changes (as a new prompt would): what was spooled is for another request.
    await fx!.store.saveImagePrompt(turnId, 'a lighthouse at dawn');
    s3.options.denied = [];
    await fx!.store.enqueueJobs([{ kind: 'image-prompt', storyId, turnId }]);
    expect(await drainJobs(fx!.session.deps, { workerId: 't' })).toMatchObject({ done: 1 });
    expect(comfy!.bodies.map((b) => b.prompt['6'].inputs.text)).toEqual(['masterpiece, a lighthouse at night', 'masterpiece, a lighthouse at dawn']);
    expect((await fx!.store.listTurnImages(storyId))[0]).toMatchObject({ prompt: 'a lighthouse at dawn' });
    expect(await comfyRows()).toHaveLength(2);
    expect(existsSync(spoolOf(storyId))).toBe(false);
  });

  it('a missing bucket fails the attempt with one clear line (the queue retries; the turn and the prompt are kept); once the bucket exists the image lands in it', async () => {
    comfy = await startFakeComfy({ gpuMs: 1000, width: 8, height: 6 });
    const dir = mkdtempSync(path.join(tmpdir(), 'luna-comfy-s3-'));
    writeFileSync(path.join(dir, 'workflow_api.json'), JSON.stringify(WORKFLOW));
    fx = await pipelineFixture({
      agents: {
        preprocessor: { model: 'scribe' }, strategist: { model: 'planner' }, writer: { model: 'scribe' },
        dreamer: { model: 'scribe', arcEvery: 50, extractFacts: false, comfyui: { url: comfy.url, workflow: path.join(dir, 'workflow_api.json'), retryBackoffMs: 10, transport: 'poll', pollMs: 50, imagesStore: { url: 's3://luna-images/prod', endpoint: s3.url } } },
      },
    });
    const story = await fx.store.createStory({ title: 'Harbour', premise: 'Maren keeps the light' });
    fx.strategist.setDefault({ kind: 'json', value: planJson({ factChanges: [], entities: [] }) });
    fx.writer.script({ kind: 'text', chunks: ['The lamp swings over black water.'] }, { kind: 'text', chunks: ['a lighthouse at night'] });
    const done = (await fx.play({ storyId: story.id, action: 'I climb the tower' })).at(-1)!;
    if (done.type !== 'done') throw new Error(JSON.stringify(done));
    const turnId = done.turn.id;

    expect(await drainJobs(fx.session.deps, { workerId: 't' })).toMatchObject({ done: 0, retried: 1 });
    const [job] = await fx.store.listJobs({});
    expect(job!.lastError).toContain(`cannot store image s3://luna-images/prod/${story.id}/${turnId}-1.png: bucket "luna-images" does not exist at ${s3.url}`);
    expect(job!.lastError).not.toContain(SECRET);
    expect(await fx.store.getTurn(turnId)).toMatchObject({ prose: 'The lamp swings over black water.' });
    expect((await fx.store.getImagePrompts([turnId]))[turnId]).toBe('a lighthouse at night');
    expect(await fx.store.listTurnImages(story.id)).toEqual([]);

    s3.options.buckets.push('luna-images');
    await fx.store.enqueueJobs([{ kind: 'image-prompt', storyId: story.id, turnId }]);
    expect(await drainJobs(fx.session.deps, { workerId: 't' })).toMatchObject({ done: 1 });
    const [img] = await fx.store.listTurnImages(story.id);
    expect(img).toMatchObject({ path: `s3://luna-images/prod/${story.id}/${turnId}-1.png`, mime: 'image/png', width: 8, height: 6 });
    const obj = s3.objects.get(`luna-images/prod/${story.id}/${turnId}-1.png`)!;
    expect(obj.type).toBe('image/png');
    expect(img!.bytes).toBe(obj.bytes.length);
  });
});
