import { readFileSync } from 'node:fs';
import net from 'node:net';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN, ROOT, startApiServe, tempHome } from '../helpers/cli.js';

let child: ReturnType<typeof execa> | undefined;
afterEach(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
});

describe('luna api serve (the built CLI)', () => {
  it('listens, prints its URL, answers /healthz, writes JSON access logs with request ids and stops on SIGTERM', async () => {
    const home = tempHome();
    const served = await startApiServe(home);
    child = served.child;
    const url = served.url;
    const res = await fetch(`${url}/healthz`, { headers: { 'x-request-id': 'cli-req-1' } });
    expect(await res.json()).toEqual({ ok: true });
    // The default config's demo model is not downloaded in this home: not ready to play, and it says why.
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { error: unknown }).error).toMatchObject({ code: 'models_unreachable', message: expect.stringMatching(/stories260K\.gguf/) });
    expect((await fetch(`${url}/v1/stories`, { headers: { authorization: 'Bearer luna_abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstu' } })).status).toBe(401);
    child.kill('SIGTERM');
    const r = await child;
    expect(r.exitCode).toBe(0);
    expect(String(r.stderr)).toContain('stopped');
    const logs = String(r.stdout).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(logs.some((l) => l.reqId === 'cli-req-1')).toBe(true);
    expect(String(r.stdout)).not.toContain('ijklmnopqrstuvwxyz234567');
  });
});

describe('luna api serve --detach, status and stop', () => {
  it('starts in the background and returns once it listens; status lists it; stop ends it gracefully', async () => {
    const home = tempHome();
    const env = { LUNA_HOME: home, NO_COLOR: '1' };
    const up = await execa('node', [BIN, '--json', 'api', 'serve', '--port', '0', '--detach'], { cwd: ROOT, reject: false, env });
    expect(up.exitCode, up.stderr).toBe(0);
    const p = JSON.parse(up.stdout) as { pid: number; url: string; log: string };
    try {
      expect(await (await fetch(`${p.url}/healthz`)).json()).toEqual({ ok: true });
      const st = await execa('node', [BIN, '--json', 'api', 'status'], { cwd: ROOT, reject: false, env });
      expect(JSON.parse(st.stdout).processes).toEqual([expect.objectContaining({ pid: p.pid, url: p.url, log: p.log })]);
      const stop = await execa('node', [BIN, 'api', 'stop'], { cwd: ROOT, reject: false, env });
      expect(stop.exitCode, stop.stderr).toBe(0);
      expect(stop.stdout).toContain(`stopped luna api ${p.pid}`);
      await expect(fetch(`${p.url}/healthz`)).rejects.toThrow();
      expect(JSON.parse((await execa('node', [BIN, '--json', 'api', 'status'], { cwd: ROOT, reject: false, env })).stdout).processes).toEqual([]);
      expect(readFileSync(p.log, 'utf8')).toMatch(/luna api: stopped/);
    } finally {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }, 60_000);

  it('a detached start that fails says why, with its log lines (a taken port)', async () => {
    const home = tempHome();
    const blocker = net.createServer().listen(0, '127.0.0.1');
    await new Promise((r) => blocker.once('listening', r));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const r = await execa('node', [BIN, 'api', 'serve', '--port', String(port), '--detach'], { cwd: ROOT, reject: false, env: { LUNA_HOME: home, NO_COLOR: '1' } });
      expect(r.exitCode).not.toBe(0);
      expect(r.stderr).toMatch(/luna api exited with code \d+/);
      expect(r.stderr).toMatch(/EADDRINUSE|in use/);
      expect(r.stderr).toMatch(/hint: full log: .*api\.log/);
    } finally {
      blocker.close();
    }
  }, 60_000);
});
