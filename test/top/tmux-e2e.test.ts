import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Supervisor } from '../../src/serve/supervisor.js';
import { apiFixture, type ApiFixture } from '../api/api-fixture.js';
import { planJson } from '../helpers/pipeline-fixture.js';
import { REPO, makeSandbox, serveConfig, waitFor } from '../serve/helpers.js';
import { killSession, paneState, tmux } from '../helpers/tmux.js';

// The real `luna top` in a real pseudo-terminal (tmux), against a live luna serve (fake engines, fake
// nvidia-smi) and a live luna api under a bounded load; a shard is killed mid-run.
const LUNA = path.join(REPO, 'bin/luna');
const box = makeSandbox();
const session = `luna-top-e2e-${process.pid}`;
let f: ApiFixture;
let sup: Supervisor;
let savedPath: string | undefined;

const capture = () => tmux('capture-pane', '-p', '-t', session);
async function screen(check: (s: string) => boolean, what: string, ms = 20_000): Promise<string> {
  await waitFor(what, () => check(capture()), ms).catch((err: Error) => {
    throw new Error(`${err.message}; screen:\n${capture()}\n${paneState(session)}`);
  });
  return capture();
}

beforeAll(async () => {
  savedPath = process.env.PATH;
  process.env.PATH = box.env.PATH;
  f = await apiFixture();
  const shards = [
    { name: 'cpp', engine: 'llamacpp', model: '/models/m.gguf', gpus: [0], env: { FAKE_LOAD_MS: '300' } },
    { name: 'big', engine: 'vllm', model: 'org/big-model', gpus: [1], env: { FAKE_LOAD_MS: '300' } },
  ];
  // a 5 s backoff keeps the killed shard visibly down for several refreshes, even on a loaded machine
  sup = new Supervisor({ serve: serveConfig({ binaries: { nvidiaSmi: path.join(box.bin, 'nvidia-smi') }, restartBackoffMs: 5000, shards }), home: f.fx.home, detached: false });
  await sup.start();
  await waitFor('shards ready', () => sup.state().shards.every((s) => s.state === 'ready'), 30_000);
}, 60_000);

afterAll(async () => {
  killSession(session);
  await sup?.stop();
  await f?.close();
  process.env.PATH = savedPath;
  box.cleanup();
});

describe('luna top in tmux', () => {
  it('shows live load, raises "shard down" when a shard is killed and clears it after the restart; l shows a log tail, r restarts after y; q quits', async () => {
    const cfg = path.join(f.fx.home, 'top.yaml');
    writeFileSync(cfg, stringify({ serve: { shards: sup.state().shards.map((s) => ({ name: s.name, engine: s.engine, model: s.model })) }, top: { apis: [f.url], intervalMs: 500 } }));
    tmux('new-session', '-d', '-s', session, '-x', '100', '-y', '30',
      `env LUNA_HOME=${f.fx.home} CI=true NO_COLOR=1 node ${LUNA} --config ${cfg} top; echo "[exit $?]"; sleep 60`);
    // CI=true as in a CI job's terminal: Ink would hold every frame until exit (the screen stayed blank)
    await screen((s) => /cpp\s+ready/.test(s) && /big\s+ready/.test(s), 'both shards on screen', 30_000);

    // bounded load: 6 turns, one at a time, while the console refreshes
    f.fx.strategist.setDefault({ kind: 'json', value: planJson() });
    const story = (await (await f.req('POST', '/v1/stories', { body: { title: 'Load' } })).json()).id as string;
    for (let i = 0; i < 6; i++) expect((await f.req('POST', `/v1/stories/${story}/turns`, { body: { action: `step ${i}` } })).status).toBe(200);
    const busy = await screen((s) => /turns\/s [1-9]|turns\/s 0\.[0-9]*[1-9]/.test(s) && /APIs 1\/1 up/.test(s), 'turns per second from the API');
    expect(busy).toMatch(/latency p50 \d/);

    const pid = sup.state().shards.find((s) => s.name === 'cpp')!.pid!;
    // how fast the alert shows is measured by `npm run bench top`, not asserted here
    process.kill(-pid, 'SIGKILL');
    const down = await screen((s) => /✗ shard cpp (backoff|starting|failed)/.test(s), 'the shard-down alert', 30_000);
    expect(down).toMatch(/\d\d:\d\d:\d\d ✗ shard cpp/);
    await screen((s) => !/✗ shard cpp/.test(s) && /cpp\s+ready/.test(s), 'the alert cleared after the restart', 30_000);
    expect(sup.state().shards.find((s) => s.name === 'cpp')!.restarts).toBe(1);

    // the keys act through the real control API: the log tail, then a restart after its confirmation
    tmux('send-keys', '-t', session, '2');
    tmux('send-keys', '-t', session, 'j');
    tmux('send-keys', '-t', session, 'l');
    await screen((s) => s.includes('log: big (l refreshes, Esc closes)') && s.includes('FAKE_ARGS'), 'the log tail of big');
    tmux('send-keys', '-t', session, 'Escape');
    await screen((s) => s.includes('▶ Shards'), 'back to the panes');
    tmux('send-keys', '-t', session, 'r');
    await screen((s) => s.includes('Restart shard big? Requests running on it fail. [y/N]'), 'the confirmation');
    tmux('send-keys', '-t', session, 'y');
    await screen((s) => s.includes('big restarted'), 'the restart done');
    await waitFor('big restarted and ready', () => sup.state().shards.find((s) => s.name === 'big')!.restarts === 1 && sup.state().shards.find((s) => s.name === 'big')!.state === 'ready', 20_000);

    tmux('send-keys', '-t', session, 'q');
    await screen((s) => s.includes('[exit 0]'), 'luna top to quit with 0');
  }, 300_000);
});
