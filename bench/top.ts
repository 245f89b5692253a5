import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { createApiMetrics } from '../src/api/metrics.js';
import { loadConfig, PACKAGE_ROOT } from '../src/config/load.js';
import { Supervisor } from '../src/serve/supervisor.js';
import { openStore } from '../src/store/open.js';

/**
 * `luna top` against 4 shards (fake engines, fake nvidia-smi), 3 burst instances (store rows) and 2 API
 * processes (loopback servers exporting the real luna api registry): (1) the CPU of the real `luna top`
 * process, in tmux, idle-refreshing at 1 s for 30 s (goal < 2% of a core); (2) from SIGKILL of a shard's
 * engine to its alert on the screen (goal ≤ 2 s), three kills.
 */
const LUNA = path.join(PACKAGE_ROOT, 'bin', 'luna');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** utime + stime of a process, in ms (from /proc, as ps does). */
function cpuMs(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
}

async function fakeApi(): Promise<{ url: string; close: () => Promise<void> }> {
  const m = createApiMetrics();
  m.turns.inc({ outcome: 'done' }, 500);
  for (let i = 0; i < 500; i++) m.turnSeconds.observe(0.5 + (i % 10) / 5);
  m.inFlightByTier.set({ tier: 'free' }, 3);
  const server = http.createServer((_req, res) => {
    // a trickle of turns, so every refresh has rates and quantiles to compute
    m.turns.inc({ outcome: 'done' });
    m.turnSeconds.observe(0.8);
    void m.registry.metrics().then((t) => res.end(t));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((r) => server.close(() => r())) };
}

export async function run(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(path.join(tmpdir(), 'luna-bench-top-'));
  const bin = path.join(dir, 'bin');
  const home = path.join(dir, 'home');
  mkdirSync(bin);
  mkdirSync(home);
  for (const f of ['fake-engine.mjs', 'vllm', 'llama-server', 'nvidia-smi']) {
    copyFileSync(path.join(PACKAGE_ROOT, 'test/serve/fixtures', f), path.join(bin, f));
    chmodSync(path.join(bin, f), 0o755);
  }
  const savedPath = process.env.PATH;
  process.env.PATH = `${bin}${path.delimiter}${savedPath ?? ''}`;
  const apis = [await fakeApi(), await fakeApi()];
  const shards = ['s1', 's2', 's3', 's4'].map((name, i) => ({ name, engine: 'llamacpp', model: '/m.gguf', gpus: [i], env: { FAKE_LOAD_MS: '200' } }));
  const cfgFile = path.join(home, 'luna.yaml');
  writeFileSync(cfgFile, stringify({
    serve: { metricsPort: 0, healthIntervalMs: 1000, restartBackoffMs: 1000, binaries: { nvidiaSmi: path.join(bin, 'nvidia-smi') }, shards },
    top: { apis: apis.map((a) => a.url) },
  }));
  const loaded = loadConfig({ home, configFile: cfgFile, env: {} });
  const store = await openStore(loaded.config.database, home, { autoMigrateSqlite: true });
  const now = Date.now();
  for (const id of ['b1', 'b2', 'b3']) {
    await store.saveBurstInstance({
      id, name: `luna-default-${id}`, deployment: 'default', provider: 'runpod', providerInstanceId: `pod-${id}`, gpuType: 'RTX_4090', gpuCount: 1, pricePerHour: 0.69,
      state: 'ready', endpoint: null, apiKey: null, serves: ['writer'], launchedAt: new Date(now - 3_600_000).toISOString(), readyAt: new Date(now - 3_000_000).toISOString(),
      lastActiveAt: null, terminatedAt: null, billedUntil: null, lastError: null,
    });
  }
  await store.close();
  const sup = new Supervisor({ serve: loaded.config.serve, home, detached: false });
  await sup.start();
  const name = `luna-bench-top-${process.pid}`;
  try {
    const deadline = Date.now() + 30_000;
    while (!sup.state().shards.every((s) => s.state === 'ready')) {
      if (Date.now() > deadline) throw new Error('shards never became ready');
      await sleep(50);
    }
    execFileSync('tmux', ['new-session', '-d', '-s', name, '-x', '120', '-y', '40', `exec env LUNA_HOME=${home} NO_COLOR=1 node ${LUNA} --config ${cfgFile} top`]);
    const screen = () => execFileSync('tmux', ['capture-pane', '-p', '-t', name], { encoding: 'utf8' });
    const pid = Number(execFileSync('tmux', ['list-panes', '-t', name, '-F', '#{pane_pid}'], { encoding: 'utf8' }).trim());
    const start = Date.now();
    while (!/s4\s+ready/.test(screen())) {
      if (Date.now() - start > 20_000) throw new Error(`luna top never showed the shards:\n${screen()}`);
      await sleep(100);
    }
    const toScreenMs = Date.now() - start;
    await sleep(3000); // past start-up: module loading and the first store reads
    const c0 = cpuMs(pid);
    const t0 = Date.now();
    await sleep(30_000);
    const idleCpuPct = ((cpuMs(pid) - c0) / (Date.now() - t0)) * 100;

    const latencies: number[] = [];
    for (const shard of ['s1', 's2', 's3']) {
      const p = sup.state().shards.find((s) => s.name === shard)!.pid!;
      const killedAt = Date.now();
      process.kill(-p, 'SIGKILL');
      const want = new RegExp(`✗ shard ${shard} `);
      while (!want.test(screen())) {
        if (Date.now() - killedAt > 10_000) throw new Error(`no alert for ${shard}:\n${screen()}`);
        await sleep(20);
      }
      latencies.push(Date.now() - killedAt);
      const back = Date.now();
      while (want.test(screen()) || sup.state().shards.find((s) => s.name === shard)!.state !== 'ready') {
        if (Date.now() - back > 20_000) throw new Error(`alert for ${shard} never cleared:\n${screen()}`);
        await sleep(50);
      }
    }
    return {
      setup: '4 shards (fake llama.cpp engines, fake nvidia-smi), 3 burst instances (store rows), 2 API processes (loopback, real luna api registry); luna top in tmux 120×40, refresh 1 s',
      firstScreenMs: toScreenMs,
      idleCpuPercentOfCore: Number(idleCpuPct.toFixed(2)),
      idleGoal: '< 2',
      killToAlertMs: latencies,
      killToAlertMedianMs: median(latencies),
      killToAlertGoalMs: 2000,
    };
  } finally {
    spawnSync('tmux', ['kill-session', '-t', name]);
    await sup.stop();
    for (const a of apis) await a.close();
    process.env.PATH = savedPath;
    rmSync(dir, { recursive: true, force: true });
  }
}
