import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { openStore } from '../../src/store/open.js';
import type { Store } from '../../src/store/types.js';
import { burstSchema, type BurstConfig } from '../../src/config/schema.js';
import { createProvider } from '../../src/burst/providers/index.js';
import type { BurstProvider, ProviderName } from '../../src/burst/types.js';

export const KEY = 'rp_test_key_0123456789abcdef';

export function burstConfig(over: Record<string, unknown> = {}): BurstConfig {
  return burstSchema.parse({ model: 'Qwen/Qwen2.5-0.5B-Instruct', serves: ['writer'], ...over });
}

export function providerFor(name: ProviderName, url: string, over: Record<string, unknown> = {}, key = KEY): BurstProvider {
  const p: Record<string, unknown> = { baseUrl: url, apiKey: key };
  if (name === 'lambda') Object.assign(p, { sshKeyName: 'luna-test', allowedSources: ['127.0.0.1/32'] });
  if (name === 'runpod') p.proxyUrl = `${url}/proxy/{podId}`;
  return createProvider(burstConfig({ providers: { [name]: p }, ...over }), name, { timeoutMs: 5000 });
}

export function tempDir(): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'luna-burst-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * A fresh SQLite store in a temp folder for each test, and the fakes it started closed after it (in reverse
 * order): the setup every burst flow test shares. Read the fields inside tests: they change per test.
 */
export function useScratchStore(): { store: Store; dir: string; closers: { close(): Promise<void> }[] } {
  const s = { store: undefined as unknown as Store, dir: '', closers: [] as { close(): Promise<void> }[] };
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(async () => {
    tmp = tempDir();
    s.dir = tmp.dir;
    s.store = await openStore({ url: `sqlite:${path.join(tmp.dir, 'luna.db')}`, poolSize: 1 }, tmp.dir, { autoMigrateSqlite: true });
    s.closers = [];
  });
  afterEach(async () => {
    await s.store.close();
    for (const c of s.closers.reverse()) await c.close();
    tmp.cleanup();
  });
  return s;
}

/** Polls until fn returns a truthy value (bounded; the fakes boot in milliseconds). */
export async function until<T>(fn: () => Promise<T | null | undefined | false>, what: string, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Lambda has no port mapping, so its fake instances share one FakeVllm on a fixed port (burst.port). */
export async function lambdaVllm(): Promise<import('./fakes/vllm.js').FakeVllm> {
  const { startFakeVllm } = await import('./fakes/vllm.js');
  const v = await startFakeVllm({ apiKey: 'unset', model: 'Qwen/Qwen2.5-0.5B-Instruct' });
  v.setReady(false);
  return v;
}
