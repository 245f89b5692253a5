/**
 * Issue 18's figures on a real llama-server (built by `npm run build:llama-server`) serving stories260K with a
 * 2,048-token window: turn success over 100 turns, the Writer stage against the same request made directly
 * (raw fetch of the exact body LUNA sent, streamed to the end, each after a request that empties the prompt
 * cache so neither side rides on the other's), and a whole `luna turn` process against its two direct requests.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { loadConfig } from '../src/config/load.js';
import { combineEndpointSources } from '../src/models/endpoints.js';
import type { TurnEvent } from '../src/pipeline/events.js';
import { runTurn } from '../src/pipeline/run-turn.js';
import { createSession } from '../src/runtime/session.js';
import { allocatePort } from '../src/serve/ports.js';
import { openStore } from '../src/store/open.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const MODEL = path.resolve(root, '../shared/models/stories260K.gguf');
const TURNS = Number(process.env.LUNA_BENCH_TURNS ?? 100);
const SAMPLES = 10;

/** prompt_ms + predicted_ms of the last `timings` object llama-server put in a reply (streamed or not). */
function serverMsOf(text: string): number {
  const all = [...text.matchAll(/"timings"\s*:\s*(\{[^}]*\})/g)];
  const last = all.at(-1);
  if (!last) return NaN;
  const t = JSON.parse(last[1]!) as { prompt_ms?: number; predicted_ms?: number };
  return (t.prompt_ms ?? 0) + (t.predicted_ms ?? 0);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

export async function run(): Promise<Record<string, unknown>> {
  const bin = process.env.LUNA_LLAMA_SERVER ?? spawnSync('bash', [path.join(root, 'scripts/build-llama-server.sh'), '--path'], { encoding: 'utf8' }).stdout.trim();
  if (!bin) return { skipped: 'llama-server is not built: npm run build:llama-server' };
  const port = await allocatePort();
  const server = spawn(bin, ['-m', MODEL, '-c', '2048', '-np', '1', '-t', '1', '--port', String(port), '--host', '127.0.0.1', '--metrics'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let serverLog = '';
  server.stderr!.on('data', (d: Buffer) => (serverLog = (serverLog + String(d)).slice(-4000)));
  try {
    const base = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 600 && !(await fetch(`${base}/health`).then((r) => r.ok, () => false)); i++) await new Promise((r) => setTimeout(r, 100));
    const home = mkdtempSync(path.join(tmpdir(), 'luna-bench-llama-'));
    const configFile = path.join(home, 'luna.yaml');
    writeFileSync(configFile, stringify({
      models: { srv: { provider: 'openai-compatible', baseUrl: `${base}/v1`, model: 'stories260K.gguf', maxRetries: 1, timeoutMs: 120_000 } },
      agents: { preprocessor: { model: 'srv' }, strategist: { model: 'srv' }, writer: { model: 'srv', maxTokens: 200 }, dreamer: { model: 'srv', inProcess: false } },
    }));
    const loaded = loadConfig({ home, configFile, env: {} });
    const store = await openStore(loaded.config.database, home, { autoMigrateSqlite: true });
    const session = await createSession(store, loaded, { endpoints: combineEndpointSources([]) });
    const story = await store.createStory({ title: 'Lily and the dog', premise: 'Lily finds a lost dog in the park and wants to bring it home.' });

    // Record the exact bodies LUNA sends (the SDK uses the global fetch), without timing anything here.
    const realFetch = globalThis.fetch;
    let lastChat: string | null = null;
    let turnBodies: string[] = [];
    // The server's own time for LUNA's last chat request (its `timings`), read from a copy of the response.
    let lastServerMs: Promise<number> = Promise.resolve(NaN);
    globalThis.fetch = (input, init) => {
      const res = realFetch(input, init);
      if (String(input instanceof Request ? input.url : input).endsWith('/chat/completions') && typeof init?.body === 'string') {
        lastChat = init.body;
        turnBodies.push(init.body);
        lastServerMs = res.then((r) => r.clone().text()).then(serverMsOf, () => NaN);
      }
      return res;
    };
    const post = async (body: string): Promise<string> => {
      // llama-server drops idle keep-alive connections; a request that meets a closed one is sent again.
      for (let attempt = 0; ; attempt++) {
        try {
          return await (await realFetch(`${base}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })).text();
        } catch (err) {
          if (attempt >= 2) throw err;
        }
      }
    };
    /** LUNA's exact body sent again: wall time and the server's own time for it. */
    const direct = async (body: string): Promise<{ wall: number; server: number }> => {
      const t0 = performance.now();
      const text = await post(body);
      return { wall: performance.now() - t0, server: serverMsOf(text) };
    };

    let ok = 0;
    const failures: string[] = [];
    const writerMs: number[] = [];
    const directMs: number[] = [];
    // What each side adds on top of the server's own work (prompt caches make raw wall times incomparable).
    const writerExtraMs: number[] = [];
    const directExtraMs: number[] = [];
    const serverMs: number[] = [];
    for (let i = 0; i < TURNS; i++) {
      await post(JSON.stringify({ messages: [{ role: 'user', content: 'Tim' }], max_tokens: 1 }));
      let end: TurnEvent | undefined;
      turnBodies = [];
      for await (const e of runTurn({ storyId: story.id, action: `Lily and the dog play game ${i + 1}` }, session.deps)) if (e.type === 'done' || e.type === 'error') end = e;
      if (end?.type === 'done') ok++;
      else failures.push(end?.type === 'error' ? end.message : 'no outcome');
      if (end?.type === 'done' && i >= TURNS - SAMPLES && lastChat) {
        const stage = end.totals.stages.writer ?? NaN;
        const server = await lastServerMs;
        const d = await direct(lastChat);
        writerMs.push(stage);
        directMs.push(d.wall);
        serverMs.push(server);
        writerExtraMs.push(stage - server);
        directExtraMs.push(d.wall - d.server);
      }
    }
    globalThis.fetch = realFetch;
    const lastBodies = turnBodies;
    await session.close();
    await store.close();

    // A whole `luna turn` process (start-up, config, store, both model calls, commit, exit) against the two
    // direct requests of a turn (the last in-process turn's Strategist and Writer bodies, replayed).
    const processMs: number[] = [];
    // Model time the server spent while a `luna turn` process ran (its /metrics counters), so the process's own
    // overhead (start-up, config, store, probes, commit) is measured apart from prompt caching.
    const serverSeconds = async () => {
      let text = '';
      for (let attempt = 0; ; attempt++) {
        try {
          text = await (await realFetch(`${base}/metrics`)).text();
          break;
        } catch (err) {
          if (attempt >= 2) throw err;
        }
      }
      const get = (name: string) => Number(new RegExp(`^llamacpp:${name} ([0-9.eE+-]+)$`, 'm').exec(text)?.[1] ?? NaN);
      return get('prompt_seconds_total') + get('tokens_predicted_seconds_total');
    };
    const processExtraMs: number[] = [];
    const twoDirectMs: number[] = [];
    const startupMs: number[] = [];
    const bin = path.join(root, 'bin/luna');
    let processError: string | null = null;
    for (let i = 0; i < 5 && !processError; i++) try {
      const t0 = performance.now();
      spawnSync(process.execPath, [bin, '--version'], { env: { ...process.env, LUNA_HOME: home } });
      startupMs.push(performance.now() - t0);
      await post(JSON.stringify({ messages: [{ role: 'user', content: 'Tim' }], max_tokens: 1 }));
      const s0 = await serverSeconds();
      const t1 = performance.now();
      const r = spawnSync(process.execPath, [bin, '--config', configFile, 'turn', story.id, `Lily and the dog run home ${i + 1}`, '--quiet', '--no-dream'], { env: { ...process.env, LUNA_HOME: home }, encoding: 'utf8' });
      const wall = performance.now() - t1;
      processMs.push(wall);
      processExtraMs.push(wall - ((await serverSeconds()) - s0) * 1000);
      if (r.status !== 0) failures.push(`luna turn exit ${r.status}: ${r.stderr.slice(0, 200)}`);
      let sum = 0;
      for (const body of lastBodies) sum += (await direct(body)).wall;
      twoDirectMs.push(sum);
    } catch (err) {
      // Keep the 100-turn figures whatever happens here; say what broke and whether the server is still up.
      processError = `${(err as Error).message}; ${(err as { cause?: Error }).cause?.message ?? ''}; server ${server.exitCode === null ? 'still running' : `exited ${server.exitCode} ${server.signalCode ?? ''}`}`;
    }
    return {
      turns: TURNS,
      succeeded: ok,
      successRate: +(ok / TURNS).toFixed(4),
      failures: failures.slice(0, 5),
      writerStageMsMedian: +median(writerMs).toFixed(1),
      directRequestMsMedian: +median(directMs).toFixed(1),
      writerServerMsMedian: +median(serverMs).toFixed(1),
      writerExtraMsMedian: +median(writerExtraMs).toFixed(1),
      directExtraMsMedian: +median(directExtraMs).toFixed(1),
      // The Writer stage against the same request made directly, at the same server time.
      writerOverDirect: +((median(serverMs) + median(writerExtraMs)) / (median(serverMs) + median(directExtraMs))).toFixed(3),
      lunaTurnProcessMsMedian: +median(processMs).toFixed(1),
      twoDirectRequestsMsMedian: +median(twoDirectMs).toFixed(1),
      processOverDirect: +(median(processMs) / median(twoDirectMs)).toFixed(3),
      // What a whole `luna turn` process adds to the model time of its two requests.
      processExtraMsMedian: +median(processExtraMs).toFixed(1),
      cliStartupMsMedian: +median(startupMs).toFixed(1),
      processError,
      serverLogTail: processError ? serverLog.split('\n').slice(-8).join('\n') : undefined,
      goals: { successRate: 1, writerOverDirect: 1.05 },
    };
  } finally {
    server.kill('SIGKILL');
  }
}
