import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { pullModel, resolvePullSource } from '../../src/models/download.js';
import { listenOnLoopback } from '../helpers/listen.js';
import { SHARED_MODELS_DIR, startModelFileServer, type ModelFileServer } from '../helpers/model-file-server.js';

// An HTTP 200 that is not a model (a log-in page, a HuggingFace /blob/ page) must never become a .gguf.
const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');
const LOGIN_PAGE = Buffer.from('<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body>Log in to download</body></html>\n');
const agents = { preprocessor: { model: 'm' }, strategist: { model: 'm' }, writer: { model: 'm' }, dreamer: { model: 'm' } };
const config = configSchema.parse({ models: { m: { provider: 'local', path: '/x.gguf' } }, agents });
const tempDir = () => mkdtempSync(path.join(tmpdir(), 'luna-pull-validate-'));

/** Serves `text/html`: /page.gguf is a page that never finishes (only stopping early ends it), /model.gguf a real GGUF. */
async function startHtmlServer(): Promise<{ baseUrl: string; close(): Promise<void> }> {
  const model = readFileSync(path.join(SHARED_MODELS_DIR, 'stories260K.gguf'));
  const server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    if (req.url === '/model.gguf') return void res.end(model);
    res.write(LOGIN_PAGE);
  });
  const l = await listenOnLoopback(server);
  return { baseUrl: `http://127.0.0.1:${l.port}`, close: l.close };
}

describe('pullModel keeps only GGUF files', () => {
  let files: ModelFileServer;
  let html: Awaited<ReturnType<typeof startHtmlServer>>;
  beforeAll(async () => {
    files = await startModelFileServer();
    html = await startHtmlServer();
  });
  afterAll(async () => {
    await files.close();
    await html.close();
  });

  it('deletes a downloaded web page and says what it starts with', async () => {
    files.override('login.gguf', LOGIN_PAGE);
    const dir = path.join(tempDir(), 'models');
    const url = `${files.baseUrl}/login.gguf`;
    await expect(pullModel(resolvePullSource(url, config, {}), dir)).rejects.toThrow(
      `could not download login.gguf: ${url} is not a GGUF model file (it starts with "<!DOCTYPE html> <html><head><title>Sign…")`,
    );
    expect(readdirSync(dir)).toEqual([]);
  });

  it('stops reading a text/html response after its first bytes', async () => {
    const dir = path.join(tempDir(), 'models');
    // The page never ends: only the early check can make this settle before the test times out.
    const err = await pullModel(resolvePullSource(`${html.baseUrl}/page.gguf`, config, {}), dir).catch((e: unknown) => e);
    expect(err).toMatchObject({ exitCode: 1, message: expect.stringMatching(/page\.gguf is not a GGUF model file \(it starts with "<!DOCTYPE html>/) });
    expect((err as { hint: string }).hint).toMatch(/direct download link/);
    expect(readdirSync(dir)).toEqual([]);
  }, 10_000);

  it('still keeps a real GGUF that a server labels text/html', async () => {
    const dir = path.join(tempDir(), 'models');
    const r = await pullModel(resolvePullSource(`${html.baseUrl}/model.gguf`, config, {}), dir);
    expect(readdirSync(dir)).toEqual(['model.gguf']);
    expect(r.bytes).toBeGreaterThan(1_000_000);
  });

  it('adds "not a GGUF file" to a sha256 mismatch, and falls through to the next URL', async () => {
    files.override('login.gguf', LOGIN_PAGE);
    const dir = path.join(tempDir(), 'models');
    const demo = { ...config.demo, urls: [`${files.baseUrl}/login.gguf`, `${files.baseUrl}/stories260K.gguf`] };
    const r = await pullModel(resolvePullSource('demo', { ...config, demo }, {}), dir);
    expect(r.url).toBe(`${files.baseUrl}/stories260K.gguf`);
    const bad = resolvePullSource(`${files.baseUrl}/login.gguf`, config, {}, config.demo.sha256);
    await expect(pullModel(bad, dir)).rejects.toThrow(/sha256 mismatch .*; it is not a GGUF model file \(it starts with "<!DOCTYPE/);
    expect(readdirSync(dir)).toEqual(['stories260K.gguf']);
  });
});

describe.skipIf(!existsSync(path.join(ROOT, 'dist/src/cli/main.js')))('luna models pull of a web page (CLI)', () => {
  let files: ModelFileServer;
  beforeAll(async () => { files = await startModelFileServer(); });
  afterAll(() => files.close());

  it('exits 1 with a hint, saves nothing and leaves luna.yaml alone', async () => {
    files.override('login.gguf', LOGIN_PAGE);
    const home = tempDir();
    const url = `${files.baseUrl}/login.gguf`;
    const r = await run(process.execPath, [path.join(ROOT, 'bin/luna'), 'models', 'pull', url, '--add', 'tiny'], { env: { ...process.env, LUNA_HOME: home, NO_COLOR: '1' }, cwd: ROOT }).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }),
    );
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain(`luna: could not download login.gguf: ${url} is not a GGUF model file (it starts with "<!DOCTYPE html>`);
    expect(r.stderr).toMatch(/^hint: the URL must serve the \.gguf file itself, not a web page/m);
    expect(readdirSync(path.join(home, 'models'))).toEqual([]);
    expect(existsSync(path.join(home, 'luna.yaml'))).toBe(false);
  });
});
