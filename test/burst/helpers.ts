import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
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
