import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { pullModel, resolvePullSource, sha256File } from '../../src/models/download.js';
import { addLocalModelToUserConfig } from '../../src/models/user-config.js';
import { SHARED_MODELS_DIR, startModelFileServer, type ModelFileServer } from '../helpers/model-file-server.js';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');
const DEMO_SHA = '270cba1bd5109f42d03350f60406024560464db173c0e387d91f0426d3bd256d';
const agents = { preprocessor: { model: 'm' }, strategist: { model: 'm' }, writer: { model: 'm' }, dreamer: { model: 'm' } };
const config = configSchema.parse({ models: { m: { provider: 'local', path: '/x.gguf' } }, agents, demo: { urls: ['http://127.0.0.1:9/unreachable/stories260K.gguf'] } });
const tempHome = () => mkdtempSync(path.join(tmpdir(), 'luna-pull-'));

describe('model downloads', () => {
  let srv: ModelFileServer;
  beforeAll(async () => { srv = await startModelFileServer(); });
  afterAll(() => srv.close());

  it('pulls demo from $LUNA_MODELS_MIRROR first and verifies its sha256', async () => {
    const source = resolvePullSource('demo', config, { LUNA_MODELS_MIRROR: srv.baseUrl });
    expect(source.urls[0]).toBe(`${srv.baseUrl}/stories260K.gguf`);
    const dir = path.join(tempHome(), 'models');
    const r = await pullModel(source, dir);
    expect(r).toMatchObject({ sha256: DEMO_SHA, verified: true, alreadyPresent: false });
    expect(await sha256File(path.join(dir, 'stories260K.gguf'))).toBe(DEMO_SHA);
    expect(existsSync(path.join(dir, 'stories260K.gguf.part'))).toBe(false);
    const again = await pullModel(source, dir);
    expect(again.alreadyPresent).toBe(true);
  });

  it('resumes with a Range request after the connection drops mid-file', async () => {
    srv.cutNextAt(300_000);
    const before = srv.requests.length;
    const dir = path.join(tempHome(), 'models');
    const r = await pullModel(resolvePullSource('demo', config, { LUNA_MODELS_MIRROR: srv.baseUrl }), dir);
    expect(r.sha256).toBe(DEMO_SHA);
    const mine = srv.requests.slice(before);
    expect(mine).toHaveLength(2);
    expect(mine[0]!.range).toBeUndefined();
    expect(mine[1]).toMatchObject({ range: 'bytes=300000-', status: 206 });
  });

  it('keeps no final file when the checksum does not match, and falls through to the next URL', async () => {
    srv.override('corrupt.gguf', Buffer.alloc(1000, 7));
    const dir = path.join(tempHome(), 'models');
    const bad = resolvePullSource(`${srv.baseUrl}/corrupt.gguf`, config, {}, DEMO_SHA);
    await expect(pullModel(bad, dir)).rejects.toThrow(/sha256 mismatch/);
    expect(existsSync(path.join(dir, 'corrupt.gguf'))).toBe(false);
    expect(existsSync(path.join(dir, 'corrupt.gguf.part'))).toBe(false);
    const demo = resolvePullSource('demo', { ...config, demo: { ...config.demo, urls: [`${srv.baseUrl}/missing.gguf`, `${srv.baseUrl}/stories260K.gguf`] } }, {});
    expect((await pullModel(demo, dir)).url).toBe(`${srv.baseUrl}/stories260K.gguf`);
  });

  it('maps hf: specs to HuggingFace resolve URLs and file:// mirrors to folders', async () => {
    const hf = resolvePullSource('hf:ggml-org/models/tinyllamas/stories260K.gguf', config, {});
    expect(hf.urls).toEqual(['https://huggingface.co/ggml-org/models/resolve/main/tinyllamas/stories260K.gguf']);
    expect(hf.fileName).toBe('stories260K.gguf');
    expect(() => resolvePullSource('hf:nope', config, {})).toThrow(/hf:OWNER\/REPO\/FILE.gguf/);
    const viaMirror = resolvePullSource('hf:x/y/stories260K.gguf', config, { LUNA_MODELS_MIRROR: pathToFileURL(SHARED_MODELS_DIR).href });
    const r = await pullModel(viaMirror, path.join(tempHome(), 'models'));
    expect(r.sha256).toBe(DEMO_SHA);
    expect(r.verified).toBe(false);
  });

  it('adds a model to luna.yaml keeping comments and other keys, creating it 0600', () => {
    const home = tempHome();
    const file = addLocalModelToUserConfig(home, 'tiny', '/m/tiny.gguf');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    writeFileSync(file, '# my settings\ncontext:\n  budgetTokens: 900 # keep small\n');
    chmodSync(file, 0o640);
    addLocalModelToUserConfig(home, 'tiny', '/m/tiny.gguf');
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('# my settings');
    expect(text).toContain('budgetTokens: 900 # keep small');
    expect(text).toMatch(/tiny:\n\s+provider: local\n\s+path: \/m\/tiny.gguf\n\s+threads: 1/);
    expect(() => addLocalModelToUserConfig(home, 'tiny', '/other.gguf')).toThrow(/already exists/);
  });
});

// End to end through the built CLI (npm test builds first; dist must exist).
describe.skipIf(!existsSync(path.join(ROOT, 'dist/src/cli/main.js')))('luna models pull / list (CLI)', () => {
  let srv: ModelFileServer;
  beforeAll(async () => { srv = await startModelFileServer(); });
  afterAll(() => srv.close());
  const luna = (args: string[], env: Record<string, string>) =>
    run(process.execPath, [path.join(ROOT, 'bin/luna'), ...args], { env: { ...process.env, ...env }, cwd: ROOT }).then(
      (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
    );

  it('pulls demo into a temp home via the mirror, then lists it as ok', async () => {
    const home = tempHome();
    const listBefore = await luna(['models', 'list', '--json', '--no-check'], { LUNA_HOME: home });
    expect(JSON.parse(listBefore.stdout)[0]).toMatchObject({ name: 'demo', status: 'missing' });
    const pull = await luna(['models', 'pull', 'demo'], { LUNA_HOME: home, LUNA_MODELS_MIRROR: srv.baseUrl });
    expect(pull.code).toBe(0);
    expect(pull.stdout).toContain('verified');
    expect(pull.stdout).toContain('ready');
    const list = await luna(['models', 'list', '--json'], { LUNA_HOME: home });
    expect(JSON.parse(list.stdout)[0]).toMatchObject({ name: 'demo', status: 'ok', usedBy: ['preprocessor', 'strategist', 'writer', 'dreamer'] });
  });

  it('exits non-zero on a checksum mismatch and leaves no file; --add writes the config', async () => {
    const home = tempHome();
    srv.override('odd.gguf', Buffer.from('not a gguf'));
    const bad = await luna(['models', 'pull', `${srv.baseUrl}/odd.gguf`, '--sha256', DEMO_SHA], { LUNA_HOME: home });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('sha256 mismatch');
    expect(existsSync(path.join(home, 'models', 'odd.gguf'))).toBe(false);
    const ok = await luna(['models', 'pull', `${srv.baseUrl}/llama-2-tiny-random.gguf`, '--add', 'tiny'], { LUNA_HOME: home });
    expect(ok.code).toBe(0);
    expect(readFileSync(path.join(home, 'luna.yaml'), 'utf8')).toContain('tiny:');
    const list = await luna(['models', 'list', '--json', '--no-check'], { LUNA_HOME: home });
    expect(JSON.parse(list.stdout).find((r: { name: string }) => r.name === 'tiny')).toMatchObject({ status: 'ok', provider: 'local' });
  });
});
