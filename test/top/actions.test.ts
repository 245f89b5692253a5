import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { configuredProviders } from '../../src/burst/open.js';
import { BurstManager } from '../../src/burst/manager.js';
import { planRequest, searchOffers } from '../../src/burst/plan.js';
import { topActions } from '../../src/commands/top/actions.js';
import { loadConfig } from '../../src/config/load.js';
import { NotFoundError } from '../../src/errors.js';
import { openStore } from '../../src/store/open.js';
import type { Store } from '../../src/store/types.js';
import { startFakeRunPod } from '../burst/fakes/runpod.js';
import { KEY } from '../burst/helpers.js';

// The console's burst keys against RunPod's wire protocol (the loopback fake the burst tests use):
// what `d` and `t` do after their confirmation is what `luna burst down [--drain]` does.
const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

describe('luna top actions', () => {
  it('terminate and drain a burst instance at the provider; a shard without a log is "not found"', async () => {
    const home = mkdtempSync(path.join(tmpdir(), 'luna-top-actions-'));
    cleanup.push(() => rmSync(home, { recursive: true, force: true }));
    const server = await startFakeRunPod({ apiKey: KEY, bootMs: 50, readyAfterMs: 50 });
    cleanup.push(() => server.close());
    const file = path.join(home, 'luna.yaml');
    writeFileSync(file, stringify({ burst: { provider: 'runpod', model: 'Qwen/Qwen2.5-0.5B-Instruct', serves: ['writer'], drainTimeoutMs: 2000, providers: { runpod: { baseUrl: server.url, apiKey: KEY, proxyUrl: `${server.url}/proxy/{podId}` } } } }));
    const loaded = loadConfig({ home, configFile: file, env: {} });
    const store: Store = await openStore(loaded.config.database, home, { autoMigrateSqlite: true });
    cleanup.push(() => store.close());
    const manager = new BurstManager({ store, config: loaded.config.burst, providers: configuredProviders(loaded), pollMs: 20 });
    const { offers } = await searchOffers([...manager.providers.values()], planRequest(loaded.config.burst));
    const a = await manager.launch(offers[0]!);
    const b = await manager.launch(offers[0]!);
    expect(server.cloud.live()).toHaveLength(2);

    const actions = topActions(loaded, async () => store);
    expect(await actions.terminateInstance(a.id)).toBe(`${a.name}: terminated`);
    expect(await actions.drainInstance(b.id)).toBe(`${b.name}: terminated`);
    expect(server.cloud.live()).toHaveLength(0);
    expect((await store.getBurstInstance(a.id))?.state).toBe('terminated');
    await expect(actions.logTail('nope', 10)).rejects.toBeInstanceOf(NotFoundError);
    await expect(actions.restartShard('nope')).rejects.toThrow(/luna serve is not running/);
  }, 30_000);
});
