import { mkdtempSync, writeFileSync } from 'node:fs';
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

describe('Dreamer → ComfyUI → an S3 bucket', () => {
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
