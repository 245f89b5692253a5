import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { ImageStoreError } from '../../src/errors.js';
import { openImageStore } from '../../src/images/store.js';
import { makePng } from '../helpers/comfyui-fake.js';
import { startFakeS3, type FakeS3 } from '../helpers/s3-fake.js';

const KEY_ID = 'LUNATESTKEYID0000001';
const SECRET = 'wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY';
const saved = { ...process.env };
let s3: FakeS3;
const home = mkdtempSync(path.join(tmpdir(), 'luna-s3-'));

function useCredentials(id = KEY_ID, secret = SECRET) {
  process.env.AWS_ACCESS_KEY_ID = id;
  process.env.AWS_SECRET_ACCESS_KEY = secret;
}

beforeAll(async () => {
  s3 = await startFakeS3({ accessKeyId: KEY_ID, secretAccessKey: SECRET, buckets: ['luna-images', 'locked'], denied: ['locked'] });
  // Nothing on this machine may answer for the test: no profile files, no instance metadata service.
  delete process.env.AWS_PROFILE;
  delete process.env.AWS_SESSION_TOKEN;
  process.env.AWS_SHARED_CREDENTIALS_FILE = path.join(home, 'no-credentials');
  process.env.AWS_CONFIG_FILE = path.join(home, 'no-config');
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
});
afterEach(() => {
  useCredentials();
  s3.options.failNext = undefined;
});
afterAll(async () => {
  process.env = saved;
  await s3.close();
});

const store = (url = 's3://luna-images/prod', endpoint = s3.url) => openImageStore({ imagesStore: { url, endpoint } }, home);

async function failure(p: Promise<unknown>): Promise<ImageStoreError> {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(ImageStoreError);
  return err as ImageStoreError;
}

describe('S3 image store (the real AWS SDK against a loopback S3 that checks SigV4)', () => {
  it('puts a picture under the prefix, signed, and reads it back by its s3:// location; a missing key is null; remove deletes it', async () => {
    useCredentials();
    const files = store();
    const png = makePng(4, 3);
    const location = await files.put('story1/turn1-1.png', png, 'image/png');
    expect(location).toBe('s3://luna-images/prod/story1/turn1-1.png');
    expect(s3.objects.get('luna-images/prod/story1/turn1-1.png')).toEqual({ bytes: png, type: 'image/png' });
    expect(s3.authorizations.at(-1)).toMatch(new RegExp(`^AWS4-HMAC-SHA256 Credential=${KEY_ID}/\\d{8}/us-east-1/s3/aws4_request`));
    expect((await files.get(location))!.equals(png)).toBe(true);
    expect(await files.exists(location)).toBe(true);
    expect(await files.get('s3://luna-images/prod/story1/nope.png')).toBeNull();
    expect(await files.exists('s3://luna-images/prod/story1/nope.png')).toBe(false);
    expect(await files.remove([location])).toEqual({ removed: 1, left: [] });
    expect(s3.objects.size).toBe(0);
    expect(files.describe()).toBe(`s3://luna-images/prod at ${s3.url}`);
  });

  it('a store writing to a folder still reads s3:// locations, and a bucket store still reads old files', async () => {
    useCredentials();
    const location = await store().put('s/t-1.png', makePng(2, 2), 'image/png');
    // Readers that only know the endpoint through the SDK's own environment.
    process.env.AWS_ENDPOINT_URL_S3 = s3.url;
    try {
      const folder = openImageStore(undefined, home);
      expect((await folder.get(location))?.length).toBe(makePng(2, 2).length);
    } finally {
      delete process.env.AWS_ENDPOINT_URL_S3;
    }
    const file = path.join(home, 'old.png');
    writeFileSync(file, makePng(1, 1));
    expect((await store().get(file))!.equals(makePng(1, 1))).toBe(true);
  });

  it('a missing bucket, a refusing bucket policy, a wrong secret and an unknown key each get one clear line and a hint', async () => {
    useCredentials();
    const png = makePng(2, 2);
    const nobucket = await failure(store('s3://no-such-bucket/x').put('s/t-1.png', png, 'image/png'));
    expect(nobucket.message).toBe(`cannot store image s3://no-such-bucket/x/s/t-1.png: bucket "no-such-bucket" does not exist at ${s3.url}`);
    expect(nobucket.hint).toMatch(/create it .*imagesStore\.url/);
    const denied = await failure(store('s3://locked').put('s/t-1.png', png, 'image/png'));
    expect(denied.message).toBe(`cannot store image s3://locked/s/t-1.png: access denied by ${s3.url} (AccessDenied)`);
    expect(denied.hint).toMatch(/s3:PutObject/);
    useCredentials(KEY_ID, 'not-the-secret-at-all-0000000000000000000');
    const wrong = await failure(store().put('s/wrong-1.png', png, 'image/png'));
    expect(wrong.message).toMatch(/the secret key does not match the access key \(SignatureDoesNotMatch/);
    expect(s3.objects.has('luna-images/prod/s/wrong-1.png')).toBe(false);
    useCredentials('SOMEOTHERKEYID000000', SECRET);
    const unknown = await failure(store().get('s3://luna-images/prod/s/t-1.png'));
    expect(unknown.message).toMatch(/does not know the access key \(InvalidAccessKeyId\)/);
  });

  it('an endpoint that is down is "unreachable", and missing credentials say where they come from', async () => {
    useCredentials();
    const down = await failure(store('s3://luna-images', 'http://127.0.0.1:9').put('s/t-1.png', makePng(2, 2), 'image/png'));
    expect(down.message).toBe('cannot store image s3://luna-images/s/t-1.png: http://127.0.0.1:9 is unreachable (ECONNREFUSED)');
    expect(down.hint).toMatch(/imagesStore\.endpoint.*retried/);
    delete process.env.AWS_ACCESS_KEY_ID;
    delete process.env.AWS_SECRET_ACCESS_KEY;
    const none = await failure(store().get('s3://luna-images/prod/s/t-1.png'));
    expect(none.message).toMatch(/no AWS credentials found$/);
    expect(none.hint).toMatch(/AWS_ACCESS_KEY_ID.*luna\.yaml never holds them/);
  });

  it('a 503 is retried by the SDK; the secret, a signature or a signed URL in a server\'s error never reach the message', async () => {
    useCredentials();
    s3.options.failNext = { count: 1, status: 503, code: 'SlowDown', message: 'Please reduce your request rate.' };
    const location = await store().put('s/t-2.png', makePng(2, 2), 'image/png');
    expect(s3.requests.slice(-2)).toEqual(['PUT /luna-images/prod/s/t-2.png 503', 'PUT /luna-images/prod/s/t-2.png 200']);
    // A proxy that quotes what it was sent: the request's signature, a presigned URL, even the secret.
    const sig = 'f'.repeat(64);
    s3.options.failNext = {
      count: 1, status: 400, code: 'InvalidRequest',
      message: `bad request for ${s3.url}/luna-images/x?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=${KEY_ID}%2F20250101&X-Amz-Signature=${sig} with Authorization: AWS4-HMAC-SHA256 Credential=${KEY_ID}/20250101/us-east-1/s3/aws4_request, Signature=${sig} secret ${SECRET}`,
    };
    const err = await failure(store().get(location));
    const text = `${err.message} ${err.hint} ${JSON.stringify(err)} ${String(err.stack)}`;
    expect(err.message).toMatch(/^cannot read image s3:\/\/luna-images\/prod\/s\/t-2\.png: InvalidRequest \(HTTP 400\): bad request for/);
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(sig);
    expect(text).not.toContain('X-Amz-Credential');
    expect(err.cause).toBeUndefined();
  });
});

describe('imagesStore in luna.yaml', () => {
  const load = (comfyui: Record<string, unknown>) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'luna-s3cfg-'));
    const file = path.join(dir, 'luna.yaml');
    writeFileSync(file, JSON.stringify({ agents: { dreamer: { comfyui: { url: 'http://127.0.0.1:8188', workflow: './w.json', ...comfyui } } } }));
    return () => loadConfig({ home: dir, configFile: file, env: {} });
  };

  it('takes an s3:// URL with an endpoint and names the path, expected and found when it is wrong', () => {
    const ok = load({ imagesStore: { url: 's3://luna-images/prod', endpoint: 'http://minio:9000', forcePathStyle: true } })();
    expect(ok.config.agents.dreamer.comfyui?.imagesStore).toEqual({ url: 's3://luna-images/prod', endpoint: 'http://minio:9000', forcePathStyle: true });
    expect(load({ imagesStore: { url: 'https://bucket.s3.amazonaws.com' } })).toThrow(/agents\.dreamer\.comfyui\.imagesStore\.url: expected s3:\/\/BUCKET or s3:\/\/BUCKET\/PREFIX.*found "https:\/\/bucket\.s3\.amazonaws\.com"/);
    expect(load({ imagesStore: { url: 's3://b0/x', accessKeyId: 'AKIA' } })).toThrow(/imagesStore: unknown key "accessKeyId"/);
    expect(load({ imagesStore: { url: 's3://b0/x', endpoint: 'http://user:pw@minio:9000' } })).toThrow(/imagesStore\.endpoint: expected an http:\/\/ or https:\/\/ URL without credentials/);
    expect(load({ imagesDir: '/tmp/x', imagesStore: { url: 's3://b0/x' } })).toThrow(/comfyui\.imagesDir: expected imagesDir or imagesStore, not both/);
  });
});
