import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { luna, startApiServe, tempHome } from '../helpers/cli.js';
import { startFakeComfy, type FakeComfy } from '../helpers/comfyui-fake.js';
import { startOpenAIServer, type LoopbackServer } from '../helpers/openai-server.js';
import { planJson } from '../helpers/pipeline-fixture.js';
import { startFakeS3, type FakeS3 } from '../helpers/s3-fake.js';

const KEY_ID = 'LUNATESTKEYID0000003';
const SECRET = 'e2e-secret-9876543210zyxwvutsrqponmlkji';
let home: string;
let env: Record<string, string>;
let server: LoopbackServer;
let comfy: FakeComfy;
let s3: FakeS3;
let api: ReturnType<typeof execa> | undefined;

beforeAll(async () => {
  home = tempHome('luna-images-s3-');
  server = await startOpenAIServer();
  comfy = await startFakeComfy({ gpuMs: 2000, width: 16, height: 9 });
  s3 = await startFakeS3({ accessKeyId: KEY_ID, secretAccessKey: SECRET, buckets: ['luna-images'] });
  // Credentials reach luna only through the AWS chain, here its environment variables.
  env = { AWS_ACCESS_KEY_ID: KEY_ID, AWS_SECRET_ACCESS_KEY: SECRET, AWS_EC2_METADATA_DISABLED: 'true', AWS_SHARED_CREDENTIALS_FILE: path.join(home, 'none'), AWS_CONFIG_FILE: path.join(home, 'none'), AWS_PROFILE: '' };
  writeFileSync(path.join(home, 'workflow_api.json'), JSON.stringify({ '6': { class_type: 'CLIPTextEncode', inputs: { text: '{{prompt}}' } }, '9': { class_type: 'SaveImage', inputs: {} } }));
  // luna.yaml in the home, so `luna api serve` reads the same config as the CLI.
  writeFileSync(path.join(home, 'luna.yaml'), stringify({
    models: { loop: { provider: 'openai-compatible', baseUrl: server.baseUrl, model: 'loop-1', maxRetries: 0, price: { inputPerMTok: 0, outputPerMTok: 0 } } },
    agents: {
      preprocessor: { model: 'loop' }, strategist: { model: 'loop' }, writer: { model: 'loop' },
      dreamer: { model: 'loop', arcEvery: 50, extractFacts: false, comfyui: { url: comfy.url, workflow: './workflow_api.json', imagesStore: { url: 's3://luna-images/prod', endpoint: s3.url } } },
    },
  }));
});
afterAll(async () => {
  if (api && api.exitCode === null) api.kill('SIGKILL');
  await server.close();
  await comfy.close();
  await s3.close();
});

describe('images in an S3 bucket, end to end through bin/luna', () => {
  it('luna turn stores the picture in the bucket; show names it; export md inlines or copies it; the API serves its bytes; delete removes the object', async () => {
    const created = await luna(['story', 'new', '--title', 'Harbour', '--premise', 'Maren keeps the light', '--json'], { home, env });
    expect(created.exitCode, created.stderr).toBe(0);
    const id = JSON.parse(created.stdout).id as string;
    server.script({ kind: 'json', value: planJson({ factChanges: [], entities: [] }) }, { kind: 'text', chunks: ['The lamp swings.'] }, { kind: 'text', chunks: ['a lighthouse in a storm'] });
    const turn = await luna(['turn', id, 'I climb the tower', '--json'], { home, env, timeoutMs: 120_000 });
    expect(turn.exitCode, turn.stderr).toBe(0);
    expect(turn.stderr).not.toMatch(/Warning/);
    const turnId = JSON.parse(turn.stdout).turn.id as string;
    const location = `s3://luna-images/prod/${id}/${turnId}-1.png`;
    const png = s3.objects.get(`luna-images/prod/${id}/${turnId}-1.png`)?.bytes;
    expect(png?.readUInt32BE(16)).toBe(16);

    const list = JSON.parse((await luna(['story', 'images', id, '--json'], { home, env })).stdout);
    expect(list).toEqual([expect.objectContaining({ turnId, path: location, width: 16, height: 9, bytes: png!.length })]);
    expect((await luna(['story', 'show', id], { home, env })).stdout).toContain(`image: ${location}  (16x9)`);

    const inline = await luna(['story', 'export', id, '--format', 'md', '--images', 'inline'], { home, env });
    expect(inline.exitCode, inline.stderr).toBe(0);
    expect(inline.stdout).toContain(`![Turn 1](data:image/png;base64,${png!.toString('base64')})`);
    // To a file: the picture is copied beside it and linked relatively, so the two travel together.
    const md = path.join(home, 'out', 'harbour.md');
    mkdirSync(path.dirname(md));
    const toFile = await luna(['story', 'export', id, '--format', 'md', '-o', md], { home, env });
    expect(toFile.exitCode, toFile.stderr).toBe(0);
    expect(readFileSync(md, 'utf8')).toContain(`![Turn 1](<harbour.md.images/${turnId}-1.png>)`);
    expect(readFileSync(path.join(home, 'out', 'harbour.md.images', `${turnId}-1.png`)).equals(png!)).toBe(true);
    expect((await luna(['story', 'export', id, '--format', 'md'], { home, env })).stdout).toContain(`![Turn 1](<${location}>)`);

    const key = JSON.parse((await luna(['account', 'keys', 'create', 'local', '--json'], { home, env })).stdout).secret as string;
    const served = await startApiServe(home, env);
    api = served.child;
    const auth = { authorization: `Bearer ${key}` };
    const page = await (await fetch(`${served.url}/v1/stories/${id}/images`, { headers: auth })).json() as { data: { url: string }[] };
    const got = await fetch(`${served.url}${page.data[0]!.url}`, { headers: auth });
    expect(got.status).toBe(200);
    expect(got.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await got.arrayBuffer()).equals(png!)).toBe(true);
    const apiMd = await (await fetch(`${served.url}/v1/stories/${id}/export?format=markdown`, { headers: auth })).text();
    expect(apiMd).toContain(`![Turn 1](<${page.data[0]!.url}>)`);
    expect(apiMd).not.toContain('s3://');
    // The bucket refusing: a 503 for the tenant without the operator's bucket or endpoint, the cause in the server log.
    s3.options.failNext = { count: 10, status: 403, code: 'AccessDenied', message: 'Access Denied' };
    const refused = await fetch(`${served.url}${page.data[0]!.url}`, { headers: auth });
    expect(refused.status).toBe(503);
    const body = JSON.stringify(await refused.json());
    expect(body).toContain('image_store_unavailable');
    expect(body).not.toContain('luna-images');
    s3.options.failNext = undefined;
    api.kill('SIGTERM');
    const logs = String((await api).stdout);
    expect(logs).toContain(`access denied by ${s3.url} (AccessDenied)`);
    expect(logs).not.toContain(SECRET);

    const del = await luna(['story', 'delete', id, '--yes'], { home, env });
    expect(del.exitCode, del.stderr).toBe(0);
    expect(s3.objects.size).toBe(0);
  });

  it('luna doctor writes, reads and deletes a probe object; with a wrong secret it fails naming the cause, never the secret', async () => {
    const ok = JSON.parse((await luna(['doctor', '--json'], { home, env })).stdout).checks.find((c: { check: string }) => c.check === 'images store');
    expect(ok).toMatchObject({ status: 'pass', detail: `s3://luna-images/prod at ${s3.url}: writes, reads and deletes` });
    expect(s3.requests.slice(-3).map((r) => r.split(' ')[0])).toEqual(['PUT', 'GET', 'DELETE']);
    const wrong = 'wrong-secret-0000000000000000000000000000';
    const r = await luna(['doctor', '--json'], { home, env: { ...env, AWS_SECRET_ACCESS_KEY: wrong } });
    const bad = JSON.parse(r.stdout).checks.find((c: { check: string }) => c.check === 'images store');
    expect(bad).toMatchObject({ status: 'fail', detail: expect.stringContaining('the secret key does not match the access key (SignatureDoesNotMatch'), fix: expect.stringContaining('AWS_SECRET_ACCESS_KEY') });
    expect(r.stdout + r.stderr).not.toContain(wrong);
  });

  it('a story deleted while the bucket refuses: deleted all the same, its pictures named on stderr and in --json, never left silently', async () => {
    const id = JSON.parse((await luna(['story', 'new', '--title', 'Orphans', '--premise', 'The bucket locks later', '--json'], { home, env })).stdout).id as string;
    server.script({ kind: 'json', value: planJson({ factChanges: [], entities: [] }) }, { kind: 'text', chunks: ['The bell tolls.'] }, { kind: 'text', chunks: ['a bell tower at dawn'] });
    const turn = await luna(['turn', id, 'I ring the bell', '--json'], { home, env, timeoutMs: 120_000 });
    expect(turn.exitCode, turn.stderr).toBe(0);
    const key = `luna-images/prod/${id}/${JSON.parse(turn.stdout).turn.id as string}-1.png`;
    expect(s3.objects.has(key)).toBe(true);
    s3.options.denied = ['luna-images'];
    try {
      const del = await luna(['story', 'delete', id, '--yes', '--json'], { home, env });
      expect(del.exitCode, del.stderr).toBe(0);
      expect(JSON.parse(del.stdout)).toEqual({ deleted: id, turns: 1, imagesLeft: [`s3://${key}`] });
      expect(del.stderr).toContain(`warning: 1 picture of the deleted story could not be removed from s3://luna-images/prod at ${s3.url}: s3://${key}`);
      expect(del.stderr).not.toContain(SECRET);
      expect(s3.objects.has(key)).toBe(true);
      expect((await luna(['story', 'show', id], { home, env })).exitCode).toBe(4);
    } finally {
      s3.options.denied = [];
    }
  });

  it('a picture the bucket refused waits in the home\'s spool (never in the bucket); luna story delete removes it', async () => {
    const id = JSON.parse((await luna(['story', 'new', '--title', 'Refused', '--premise', 'The bucket is locked', '--json'], { home, env })).stdout).id as string;
    server.script({ kind: 'json', value: planJson({ factChanges: [], entities: [] }) }, { kind: 'text', chunks: ['The gate is shut.'] }, { kind: 'text', chunks: ['a shut iron gate'] });
    s3.options.denied = ['luna-images'];
    try {
      const turn = await luna(['turn', id, 'I knock', '--json'], { home, env, timeoutMs: 120_000 });
      expect(turn.exitCode, turn.stderr).toBe(0);
      const turnId = JSON.parse(turn.stdout).turn.id as string;
      const spool = path.join(home, 'spool', 'images', id);
      expect(readdirSync(path.join(spool, turnId)).sort()).toEqual(['1.png', 'manifest.json']);
      expect([...s3.objects.keys()].filter((k) => k.includes(id))).toEqual([]);
      const del = await luna(['story', 'delete', id, '--yes'], { home, env });
      expect(del.exitCode, del.stderr).toBe(0);
      expect(existsSync(spool)).toBe(false);
    } finally {
      s3.options.denied = [];
    }
  });
});
