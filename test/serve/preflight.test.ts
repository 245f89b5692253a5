import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { TINY_MODEL } from '../helpers/shared.js';
import { isAlive } from '../../src/serve/process-tree.js';
import { runningDaemonPid, servePaths } from '../../src/serve/state.js';
import { makeSandbox, REPO } from './helpers.js';

const box = makeSandbox();
const paths = servePaths(box.home);
let blocker: net.Server;
let taken = 0;

function luna(yaml: string, args: string[]): { code: number; stdout: string; stderr: string } {
  const file = path.join(box.dir, `c${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, yaml);
  const r = spawnSync(process.execPath, [path.join(REPO, 'bin/luna'), '--config', file, ...args], { env: box.env, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
const shardsYaml = (lines: string[], extra: string[] = []) => ['serve:', '  metricsPort: 0', ...extra, '  shards:', ...lines.map((l) => `    - ${l}`), ''].join('\n');

beforeAll(async () => {
  // a real listener holding a port, as another program would
  blocker = net.createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
  taken = (blocker.address() as net.AddressInfo).port;
});
afterAll(async () => {
  await new Promise((r) => blocker.close(r));
  const pid = runningDaemonPid(paths);
  if (pid && isAlive(pid)) process.kill(pid, 'SIGKILL');
  box.cleanup();
});

describe('serve plan runs the checks up makes', () => {
  it('reports a missing engine binary, a missing model file and a taken port (exit 11), and fits once they are fixed', () => {
    const bad = shardsYaml([
      '{ name: cpp, engine: llamacpp, model: /nowhere/m.gguf }',
      `{ name: fixed, engine: local, model: ${JSON.stringify(TINY_MODEL)}, port: ${taken} }`,
    ], ['  binaries: { llamacpp: no-such-llama-server }']);
    const r = luna(bad, ['serve', 'plan']);
    expect(r.code).toBe(11);
    expect(r.stderr).toContain('luna: shards cannot start:');
    expect(r.stderr).toContain('  - cpp: engine binary "no-such-llama-server" not found on PATH');
    expect(r.stderr).toContain('  - cpp: model file /nowhere/m.gguf not found');
    expect(r.stderr).toContain(`  - fixed: port ${taken} is already in use`);
    expect(r.stderr).toMatch(/hint: install no-such-llama-server or set serve\.binaries\.llamacpp/);
    const json = JSON.parse(luna(bad, ['serve', 'plan', '--json']).stdout);
    expect(json.fits).toBe(false);
    expect(json.problems).toHaveLength(3);
    expect(existsSync(paths.state)).toBe(false);

    const good = luna(shardsYaml([`{ name: cpp, engine: llamacpp, model: ${JSON.stringify(TINY_MODEL)}, port: auto }`]), ['serve', 'plan']);
    expect(good.stderr).toBe('');
    expect(good.code).toBe(0);
  });

  it('two shards with one name are a config error (exit 3) in plan and up, naming the duplicate', () => {
    const yaml = shardsYaml([
      `{ name: twin, engine: local, model: ${JSON.stringify(TINY_MODEL)} }`,
      `{ name: twin, engine: local, model: ${JSON.stringify(TINY_MODEL)} }`,
    ]);
    for (const args of [['serve', 'plan'], ['serve', 'up'], ['serve', 'up', '--detach']]) {
      const r = luna(yaml, args);
      expect(r.code, args.join(' ')).toBe(3);
      expect(r.stderr).toContain('luna: serve.shards: two shards are named "twin"');
      expect(r.stderr).not.toContain('GPU');
    }
    expect(runningDaemonPid(paths)).toBeNull();
  });
});

describe('serve up --detach when the daemon dies at start-up', () => {
  it("shows only this run's log lines, not an earlier run's", () => {
    mkdirSync(paths.dir, { recursive: true });
    appendFileSync(paths.daemonLog, '2020-01-01T00:00:00.000Z old: failed — an earlier run\n');
    const model = JSON.stringify(TINY_MODEL);
    const first = luna(shardsYaml([`{ name: a, engine: local, model: ${model}, port: ${taken} }`]), ['serve', 'up', '--detach']);
    expect(first.code).toBe(11);
    expect(first.stderr).toContain(`a: port ${taken} is already in use`);
    expect(first.stderr).not.toContain('an earlier run');

    const second = luna(['serve:', `  metricsPort: ${taken}`, '  shards:', `    - { name: b, engine: local, model: ${model} }`, ''].join('\n'), ['serve', 'up', '--detach']);
    expect(second.code).toBe(11);
    expect(second.stderr).toContain(`the luna serve daemon exited with code 11:\nluna: metrics port ${taken} is already in use`);
    expect(second.stderr).not.toContain(`a: port ${taken}`);
    expect(second.stderr).toContain(`hint: full log: ${paths.daemonLog}`);
  }, 60_000);
});
