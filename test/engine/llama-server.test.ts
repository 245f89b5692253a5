/**
 * A story on a real llama-server (built from the llama.cpp source node-llama-cpp ships, by
 * `npm run build:llama-server`; .ci/run builds it once per machine) serving the real 260K TinyStories model
 * with a 2,048-token window: 30 turns through the openai-compatible provider and 30 through `luna serve`.
 * Every turn must land, the story must outgrow the window and stay playable, and the ledger must equal the
 * server's own token counters.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadConfig } from '../../src/config/load.js';
import { combineEndpointSources } from '../../src/models/endpoints.js';
import type { TurnEvent } from '../../src/pipeline/events.js';
import { runTurn } from '../../src/pipeline/run-turn.js';
import { createSession } from '../../src/runtime/session.js';
import { readState, runningDaemonPid, servePaths } from '../../src/serve/state.js';
import { openStore } from '../../src/store/open.js';
import { allocatePort } from '../../src/serve/ports.js';
import { TINY_MODEL } from '../helpers/shared.js';

const REPO = path.resolve(import.meta.dirname, '../..');
const WINDOW = 2048;
const TURNS = 30;

function findBinary(): string | null {
  if (process.env.LUNA_LLAMA_SERVER) return process.env.LUNA_LLAMA_SERVER;
  const r = spawnSync('bash', [path.join(REPO, 'scripts/build-llama-server.sh'), '--path'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim().split('\n').at(-1) ?? null : null;
}

const BIN = findBinary();
// CI builds the server first: there a missing binary is a failure, not a skip.
const required = process.env.CI === 'true';
if (!BIN && required) throw new Error('llama-server is not built: run `npm run build:llama-server` (.ci/run does)');

const ACTIONS = ['Lily finds a red ball', 'Tom runs to the park', 'the dog barks at a bird', 'Lily shares her cake', 'they look for the lost cat', 'a big tree falls down'];

const cleanups: Array<() => Promise<void> | void> = [];
afterAll(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function metrics(port: number): Promise<Record<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return Object.fromEntries(text.split('\n').filter((l) => l.startsWith('llamacpp:')).map((l) => [l.split(' ')[0]!.slice('llamacpp:'.length), Number(l.split(' ')[1])]));
}

async function waitHealthy(port: number, child?: ChildProcess): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) throw new Error(`llama-server exited with ${child.exitCode}`);
    const ok = await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.ok, () => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('llama-server did not become healthy in 60 s');
}

/** Plays TURNS turns in-process against whatever the config routes the model to; returns the outcomes. */
async function playStory(home: string, config: object): Promise<{ done: number; errors: string[]; input: number; output: number; proseChars: number }> {
  const configFile = path.join(home, 'luna.yaml');
  writeFileSync(configFile, stringify(config));
  const loaded = loadConfig({ home, configFile, env: {} });
  const store = await openStore(loaded.config.database, home, { autoMigrateSqlite: true });
  const session = await createSession(store, loaded, (config as { serve?: unknown }).serve ? {} : { endpoints: combineEndpointSources([]) });
  try {
    const story = await store.createStory({ title: 'Lily and the dog', premise: 'Lily finds a lost dog in the park and wants to bring it home.' });
    let done = 0;
    let proseChars = 0;
    const errors: string[] = [];
    for (let i = 0; i < TURNS; i++) {
      const events: TurnEvent[] = [];
      for await (const e of runTurn({ storyId: story.id, action: `${ACTIONS[i % ACTIONS.length]} (${i + 1})` }, session.deps)) events.push(e);
      const end = events.find((e) => e.type === 'done' || e.type === 'error');
      if (end?.type === 'done') {
        done++;
        proseChars += end.prose.length;
      } else errors.push(end?.type === 'error' ? `${end.message} (${end.hint ?? ''})` : 'no outcome');
    }
    const calls = await store.listCalls({ limit: 100_000 });
    return { done, errors, input: calls.reduce((n, c) => n + c.inputTokens, 0), output: calls.reduce((n, c) => n + c.outputTokens, 0), proseChars };
  } finally {
    await session.close();
    await store.close();
  }
}

describe.skipIf(!BIN)('a story on a real llama-server (stories260K, 2,048-token window)', () => {
  it(`plays ${TURNS} turns through the openai-compatible provider: all land, past the window, ledger = server counters`, async () => {
    const port = await allocatePort();
    const child = spawn(BIN!, ['-m', TINY_MODEL, '-c', String(WINDOW), '-np', '1', '-t', '1', '--port', String(port), '--host', '127.0.0.1', '--metrics'], { stdio: 'ignore' });
    cleanups.push(() => void child.kill('SIGKILL'));
    await waitHealthy(port, child);
    const home = mkdtempSync(path.join(tmpdir(), 'luna-real-'));
    const r = await playStory(home, {
      models: { srv: { provider: 'openai-compatible', baseUrl: `http://127.0.0.1:${port}/v1`, model: 'stories260K.gguf', maxRetries: 1, timeoutMs: 120_000 } },
      agents: { preprocessor: { model: 'srv' }, strategist: { model: 'srv' }, writer: { model: 'srv', maxTokens: 200 }, dreamer: { model: 'srv', inProcess: false } },
    });
    expect(r.errors).toEqual([]);
    expect(r.done).toBe(TURNS);
    // The history outgrew the window several times over (the model writes ~1.6 characters a token).
    expect(r.proseChars / 1.6).toBeGreaterThan(WINDOW * 2);
    const m = await metrics(port);
    expect(r.output).toBe(m.tokens_predicted_total);
    expect(r.input).toBe(m.prompt_tokens_total! + m.prompt_tokens_cached_total!);
  }, 600_000);

  it(`plays ${TURNS} turns through a luna serve shard of the same server`, async () => {
    const home = mkdtempSync(path.join(tmpdir(), 'luna-real-serve-'));
    const config = {
      models: { srv: { provider: 'openai-compatible', baseUrl: 'http://127.0.0.1:9/v1', model: 'srv', maxRetries: 1, timeoutMs: 120_000 } },
      agents: { preprocessor: { model: 'srv' }, strategist: { model: 'srv' }, writer: { model: 'srv', maxTokens: 200 }, dreamer: { model: 'srv', inProcess: false } },
      serve: {
        binaries: { llamacpp: BIN, nvidiaSmi: '/nonexistent/nvidia-smi' },
        metricsPort: 0,
        healthIntervalMs: 500,
        shards: [{ name: 'tiny', engine: 'llamacpp', model: TINY_MODEL, serves: ['srv'], parallel: 1, threads: 1, contextLength: WINDOW }],
      },
    };
    writeFileSync(path.join(home, 'luna.yaml'), stringify(config));
    const env = { ...process.env, LUNA_HOME: home };
    const luna = (args: string[]) => spawnSync(process.execPath, [path.join(REPO, 'bin/luna'), ...args], { env, encoding: 'utf8', timeout: 120_000 });
    cleanups.push(() => {
      if (runningDaemonPid(servePaths(home))) luna(['serve', 'stop']);
    });
    const up = luna(['serve', 'up', '--detach']);
    expect(up.status, up.stderr).toBe(0);
    const state = readState(servePaths(home));
    const port = state?.shards.find((s) => s.name === 'tiny')?.port;
    expect(port).toBeGreaterThan(0);
    await waitHealthy(port!);
    const r = await playStory(home, config);
    expect(r.errors).toEqual([]);
    expect(r.done).toBe(TURNS);
    const m = await metrics(port!);
    expect(r.output).toBe(m.tokens_predicted_total);
    expect(r.input).toBe(m.prompt_tokens_total! + m.prompt_tokens_cached_total!);
    const stop = luna(['serve', 'stop']);
    expect(stop.status, stop.stderr).toBe(0);
  }, 600_000);
});
