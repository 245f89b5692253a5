import { copyFileSync, chmodSync, mkdtempSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { serveSchema, type ServeConfig } from '../../src/config/schema.js';
import { isAlive } from '../../src/serve/process-tree.js';
import type { Supervisor } from '../../src/serve/supervisor.js';

export const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
export const REPO = path.resolve(FIXTURES, '../../..');

/** A temp LUNA_HOME plus a bin dir holding the fake engines and nvidia-smi, first on PATH. */
export function makeSandbox(opts: { nvidiaSmi?: boolean } = {}): { dir: string; home: string; bin: string; env: NodeJS.ProcessEnv; cleanup: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'luna-serve-'));
  const bin = path.join(dir, 'bin');
  const home = path.join(dir, 'home');
  mkdirSync(bin);
  mkdirSync(home);
  const files = ['fake-engine.mjs', 'vllm', 'llama-server', ...(opts.nvidiaSmi === false ? [] : ['nvidia-smi'])];
  for (const f of files) {
    copyFileSync(path.join(FIXTURES, f), path.join(bin, f));
    chmodSync(path.join(bin, f), 0o755);
  }
  const env = { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}`, LUNA_HOME: home };
  return { dir, home, bin, env, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function serveConfig(input: Record<string, unknown>): ServeConfig {
  return serveSchema.parse({ healthIntervalMs: 150, healthTimeoutMs: 300, stopGraceMs: 1500, restartBackoffMs: 100, metricsPort: 0, ...input });
}

export async function waitFor<T>(what: string, fn: () => T | Promise<T>, timeoutMs = 15_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await fn();
    if (last) return last as NonNullable<T>;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(last)})`);
}

/** Kills whatever a test left behind: supervisors first, then any pid files written by fake grandchildren. */
export async function cleanupAll(sups: Supervisor[], pidFiles: string[] = []): Promise<void> {
  await Promise.all(sups.splice(0).map((s) => s.stop().catch(() => undefined)));
  for (const f of pidFiles.splice(0)) {
    try {
      const pid = Number(readFileSync(f, 'utf8'));
      if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    } catch {
      // never written, or already gone
    }
  }
}

export function fakeArgs(logText: string): Array<{ kind: string; model: string; flags: Record<string, unknown>; env: Record<string, string | null> }> {
  return logText.split('\n').filter((l) => l.startsWith('FAKE_ARGS ')).map((l) => JSON.parse(l.slice('FAKE_ARGS '.length)));
}
