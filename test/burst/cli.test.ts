import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FakeServer } from './fakes/cloud.js';
import { startFakeLambda } from './fakes/lambda.js';
import { startFakeRunPod } from './fakes/runpod.js';
import { startFakeVast } from './fakes/vast.js';
import { KEY, tempDir, until } from './helpers.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin/luna');

// The built CLI comes from `npm test` (or test/global-setup.ts for a lone vitest run).

let tmp: ReturnType<typeof tempDir>;
let fakes: FakeServer[];
beforeEach(() => { tmp = tempDir(); fakes = []; });
afterEach(async () => { for (const f of fakes) await f.close(); tmp.cleanup(); });

function writeConfig(burst: string): void {
  writeFileSync(path.join(tmp.dir, 'luna.yaml'), `burst:\n  model: Qwen/Qwen2.5-0.5B-Instruct\n  serves: [writer]\n  readyTimeoutMs: 60000\n${burst}`);
}

function luna(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, LUNA_HOME: tmp.dir, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function vast(opts: Partial<Parameters<typeof startFakeVast>[0]> = {}): Promise<FakeServer> {
  const f = await startFakeVast({ apiKey: KEY, bootMs: 100, readyAfterMs: 100, ...opts });
  fakes.push(f);
  return f;
}

describe('luna burst (built CLI against fake providers)', () => {
  it('down --all finds and terminates an instance whose `up` was SIGKILLed mid-launch', async () => {
    const f = await vast({ createDelayMs: 60_000 });
    writeConfig(`  provider: vast\n  providers:\n    vast: { baseUrl: "${f.url}", apiKeyEnv: TEST_VAST_KEY }\n`);
    const child = spawn(process.execPath, [BIN, 'burst', 'up', '--yes'], { env: { ...process.env, LUNA_HOME: tmp.dir, TEST_VAST_KEY: KEY }, stdio: 'ignore' });
    await until(async () => f.cloud.live().length === 1, 'the create call to arrive', 30_000);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    expect(f.cloud.live()).toHaveLength(1);
    const leaked = f.cloud.live()[0]!;
    expect(leaked.name).toMatch(/^luna-default-[0-9a-f]{8}$/);

    const status = await luna(['burst', 'status', '--json'], { TEST_VAST_KEY: KEY });
    expect(status.code).toBe(0);
    const s = JSON.parse(status.stdout) as { instances: { name: string; providerInstanceId: string; state: string }[]; orphans: unknown[] };
    expect(s.instances.map((i) => i.name)).toEqual([leaked.name]);
    expect(s.instances[0]!.providerInstanceId).toBe(leaked.id);
    expect(s.orphans).toEqual([]);
    expect(status.stdout).not.toContain(leaked.apiKey);

    const down = await luna(['burst', 'down', '--all', '--json'], { TEST_VAST_KEY: KEY });
    expect(down.code).toBe(0);
    expect(f.cloud.live()).toHaveLength(0);
    const after = JSON.parse((await luna(['burst', 'status', '--all', '--json'], { TEST_VAST_KEY: KEY })).stdout) as { instances: { state: string; spentUsd: number }[] };
    expect(after.instances[0]).toMatchObject({ state: 'terminated' });
    expect(after.instances[0]!.spentUsd).toBeGreaterThan(0);
  }, 60_000);

  it('down --all also terminates orphans (LUNA-named instances the store never saw)', async () => {
    const f = await vast();
    f.cloud.create({ id: '9001', name: 'luna-default-0badc0de', apiKey: 'x', model: 'm', gpu: 'RTX 4090', price: 0.3, body: {} });
    f.cloud.create({ id: '9002', name: 'someone-elses-box', apiKey: 'x', model: 'm', gpu: 'RTX 4090', price: 0.3, body: {} });
    writeConfig(`  providers:\n    vast: { baseUrl: "${f.url}", apiKey: "${KEY}" }\n`);
    const status = await luna(['burst', 'status']);
    expect(status.stderr).toMatch(/orphan luna-default-0badc0de/);
    const down = await luna(['burst', 'down', '--all']);
    expect(down.code).toBe(0);
    expect(f.cloud.live().map((i) => i.name)).toEqual(['someone-elses-box']);
  }, 30_000);

  it('up without --yes off a terminal refuses and rents nothing', async () => {
    const f = await vast();
    writeConfig(`  providers:\n    vast: { baseUrl: "${f.url}", apiKey: "${KEY}" }\n`);
    const r = await luna(['burst', 'up']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--yes/);
    expect(f.cloud.requests.filter((q) => q.method === 'PUT')).toHaveLength(0);
  }, 30_000);

  it('the hourly cap refuses a launch with exit 8 and says why', async () => {
    const f = await vast();
    writeConfig(`  maxHourlySpend: 0.5\n  providers:\n    vast: { baseUrl: "${f.url}", apiKey: "${KEY}" }\n`);
    const r = await luna(['burst', 'up', '--yes', '--count', '2', '--gpu', 'RTX_4090']);
    expect(r.code).toBe(8);
    expect(r.stderr).toMatch(/maxHourlySpend \$0\.50/);
    expect(f.cloud.requests.filter((q) => q.method === 'PUT')).toHaveLength(0);
  }, 30_000);

  it('the global hard cost budget refuses a launch before any provider call', async () => {
    const f = await vast();
    writeConfig(`  providers:\n    vast: { baseUrl: "${f.url}", apiKey: "${KEY}" }\ncost:\n  budgets:\n    global: { period: month, hardUsd: 0 }\n`);
    const r = await luna(['burst', 'up', '--yes', '--gpu', 'RTX_4090']);
    expect(r.code).toBe(8);
    expect(r.stderr).toMatch(/burst launch refused: global budget/);
    expect(f.cloud.requests.filter((q) => q.method === 'PUT')).toHaveLength(0);
  }, 30_000);

  it('plan picks the cheapest fitting offer across providers and explains it', async () => {
    const v = await vast();
    const rp = await startFakeRunPod({ apiKey: KEY });
    fakes.push(rp);
    writeConfig(`  providers:\n    vast: { baseUrl: "${v.url}", apiKey: "${KEY}" }\n    runpod: { baseUrl: "${rp.url}", apiKey: "${KEY}" }\n`);
    const r = await luna(['burst', 'plan', '--gpu', 'RTX_4090', '--json']);
    expect(r.code).toBe(0);
    const plan = JSON.parse(r.stdout) as { choice: { provider: string; pricePerHour: number }; offers: { pricePerHour: number }[]; reasons: string[]; wouldLaunch: boolean };
    expect(plan.choice).toMatchObject({ provider: 'runpod', pricePerHour: 0.34 });
    expect(plan.offers.map((o) => o.pricePerHour)).toEqual([...plan.offers.map((o) => o.pricePerHour)].sort((a, b) => a - b));
    expect(plan.wouldLaunch).toBe(true);
    expect(plan.reasons.join(' ')).toMatch(/cheapest of 3 offer/);
  }, 30_000);

  it('plan says how each provider\'s instances are reached, and skips Lambda until its firewall sources are set', async () => {
    const v = await vast();
    const lam = await startFakeLambda({ apiKey: KEY });
    fakes.push(lam);
    writeConfig(`  providers:\n    vast: { baseUrl: "${v.url}", apiKey: "${KEY}" }\n    lambda: { baseUrl: "${lam.url}", apiKey: "${KEY}", sshKeyName: k }\n`);
    const r = await luna(['burst', 'plan', '--json']);
    expect(r.code).toBe(0);
    const plan = JSON.parse(r.stdout) as { offers: { provider: string }[]; reasons: string[]; access: Record<string, { ok: boolean }> };
    expect(plan.offers.every((o) => o.provider === 'vast')).toBe(true);
    expect(plan.access.lambda!.ok).toBe(false);
    expect(plan.reasons.join('\n')).toMatch(/lambda not asked: needs burst\.providers\.lambda\.allowedSources/);
    expect(plan.reasons.join('\n')).toMatch(/vast instances are reached by port 8000\/tcp mapped/);
    writeConfig(`  providers:\n    lambda: { baseUrl: "${lam.url}", apiKey: "${KEY}", sshKeyName: k, allowedSources: [198.51.100.7/32] }\n`);
    const text = await luna(['burst', 'plan']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/lambda instances are reached by port 8000\/tcp opened to 198\.51\.100\.7\/32 through the account's firewall rules/);
  }, 30_000);

  it('status shows where a starting instance is (the provider\'s phase, its age and disk)', async () => {
    const f = await vast({ bootMs: 60_000 });
    writeConfig(`  providers:\n    vast: { baseUrl: "${f.url}", apiKey: "${KEY}" }\n`);
    const up = await luna(['burst', 'up', '--yes', '--no-wait', '--gpu', 'RTX_4090']);
    expect(up.code).toBe(0);
    const st = await luna(['burst', 'status', '--json']);
    expect(st.code).toBe(0);
    const body = JSON.parse(st.stdout) as { instances: { state: string; phase: string | null }[] };
    expect(body.instances).toHaveLength(1);
    expect(body.instances[0]).toMatchObject({ state: 'starting', phase: expect.stringMatching(/^Pulling image \(up \d+s, disk 80 GB\)$/) });
    const table = await luna(['burst', 'status']);
    expect(table.stdout).toMatch(/starting: Pulling image/);
  }, 60_000);

  it('a rejected key exits 7 without printing it', async () => {
    const f = await vast();
    writeConfig(`  providers:\n    vast: { baseUrl: "${f.url}", apiKey: "not-the-key-SECRET42" }\n`);
    const r = await luna(['burst', 'plan']);
    expect(r.code).toBe(7);
    expect(r.stderr).toMatch(/vast rejected the API key/);
    expect(r.stderr).not.toContain('SECRET42');
  }, 30_000);

  it('watch --once launches nothing when the load signal is missing', async () => {
    const f = await vast();
    writeConfig(`  metricsUrl: "http://127.0.0.1:9/metrics"\n  scaleUpWindowMs: 1\n  providers:\n    vast: { baseUrl: "${f.url}", apiKey: "${KEY}" }\n`);
    const r = await luna(['burst', 'watch', '--once', '--json']);
    expect(r.code).toBe(0);
    const step = JSON.parse(r.stdout) as { waiting: number | null; metricsError: string; launched: string[] };
    expect(step.waiting).toBeNull();
    expect(step.metricsError).toMatch(/unreachable/);
    expect(f.cloud.requests.filter((q) => q.method === 'PUT')).toHaveLength(0);
  }, 30_000);
});
