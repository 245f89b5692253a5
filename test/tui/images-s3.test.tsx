import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KITTY_DELETE_ALL } from '../../src/tui/image-protocol.js';
import type { InlineImages } from '../../src/tui/inline-image.js';
import { makePng } from '../helpers/comfyui-fake.js';
import { startFakeS3, type FakeS3 } from '../helpers/s3-fake.js';
import { addTurn } from '../store/fixtures.js';
import { KEY, openFixture, renderApp, waitFor } from './helpers.js';

const KEY_ID = 'LUNATESTKEYID0000004';
const SECRET = 'tui-secret-abcdefghijklmnopqrstuvwxyz012';
const saved = { ...process.env };
let s3: FakeS3;
beforeAll(async () => {
  s3 = await startFakeS3({ accessKeyId: KEY_ID, secretAccessKey: SECRET, buckets: ['luna-images'] });
  const dir = mkdtempSync(path.join(tmpdir(), 'luna-s3t-'));
  Object.assign(process.env, { AWS_ACCESS_KEY_ID: KEY_ID, AWS_SECRET_ACCESS_KEY: SECRET, AWS_EC2_METADATA_DISABLED: 'true', AWS_SHARED_CREDENTIALS_FILE: path.join(dir, 'none'), AWS_CONFIG_FILE: path.join(dir, 'none') });
});
afterAll(async () => {
  process.env = saved;
  await s3.close();
});

describe('/image in luna play, picture in an S3 bucket', () => {
  it('fetches the PNG from the bucket when the panel opens and draws it (kitty)', async () => {
    const wf = path.join(mkdtempSync(path.join(tmpdir(), 'luna-wf-')), 'wf.json');
    writeFileSync(wf, JSON.stringify({ '6': { class_type: 'CLIPTextEncode', inputs: { text: '{{prompt}}' } } }));
    const fx = await openFixture({
      agents: {
        preprocessor: { model: 'scribe' }, strategist: { model: 'planner' }, writer: { model: 'scribe' },
        dreamer: { model: 'scribe', inProcess: false, comfyui: { url: 'http://127.0.0.1:9', workflow: wf, imagesStore: { url: 's3://luna-images/prod', endpoint: s3.url } } },
      },
    });
    const story = await fx.store.createStory({ title: 'The Lighthouse', premise: 'A keeper named Maren.' });
    const turn = await addTurn(fx.store, story.id, 'I climb the tower', 'The lamp swings over black water.');
    const png = makePng(64, 32);
    s3.objects.set(`luna-images/prod/${story.id}/${turn.id}-1.png`, { bytes: png, type: 'image/png' });
    const location = `s3://luna-images/prod/${story.id}/${turn.id}-1.png`;
    await fx.store.replaceTurnImages(turn.id, 'a lighthouse at night', [{ n: 1, path: location, mime: 'image/png', width: 64, height: 32, bytes: png.length }]);
    const writes: string[] = [];
    const out: InlineImages = { protocol: 'kitty', write: (s) => void writes.push(s) };
    const app = renderApp(fx, { kind: 'open', id: story.id }, { columns: 200, rows: 30 }, out);
    await app.waitFor((f) => f.includes('The lamp swings'), 'the story');
    await app.type('/image');
    await app.press(KEY.enter);
    await app.waitFor((f) => f.includes(location), 'the image panel with the s3:// location');
    await waitFor(() => writes.length > 0, 'the picture');
    expect(writes[0]!.startsWith(KITTY_DELETE_ALL)).toBe(true);
    expect(writes[0]).toContain(png.toString('base64'));
    expect(s3.requests).toContain(`GET /luna-images/prod/${story.id}/${turn.id}-1.png 200`);
  });
});
