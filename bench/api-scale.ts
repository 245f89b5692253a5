/**
 * Turns/s through 1, 2 and 4 `luna api serve` processes sharing one PostgreSQL database (issue 13), with a
 * bounded client on loopback: CLIENTS concurrent players, each on its own story, spread round-robin over the
 * processes, for SECONDS each. The models answer at once (a loopback OpenAI-wire server in this process), so the
 * figure is the service's own ceiling: HTTP, auth, store reads, the commit, the ledger. On this 2-core machine
 * the bench process, PostgreSQL and every API process share the same two cores.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { openPostgresStore } from '../src/store/postgres/index.js';
import { admin, PG_BASE } from './pg-admin.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SECONDS = Number(process.env.LUNA_BENCH_SECONDS ?? 15);
const CLIENTS = Number(process.env.LUNA_BENCH_CLIENTS ?? 16);
const PLAN = { intent: 'Maren waits', tone: 'calm', beats: ['The tide turns'], entities: [{ name: 'Maren', kind: 'character' }], factChanges: [] };

function instantModelServer(): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (d) => (raw += d));
    req.on('end', () => {
      if (req.url?.endsWith('/models')) return res.end(JSON.stringify({ object: 'list', data: [{ id: 'instant', object: 'model' }] }));
      const body = JSON.parse(raw || '{}') as { stream?: boolean; response_format?: unknown };
      const text = body.response_format ? JSON.stringify(PLAN) : 'Maren watches the tide turn under the lamp.';
      const usage = { prompt_tokens: 400, completion_tokens: 20, total_tokens: 420 };
      if (!body.stream) return res.end(JSON.stringify({ id: 'c', object: 'chat.completion', created: 0, model: 'instant', choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }], usage }));
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const chunk = (delta: object, finish: string | null, extra: object = {}) => `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 0, model: 'instant', choices: [{ index: 0, delta, finish_reason: finish }], ...extra })}\n\n`;
      res.end(chunk({ role: 'assistant', content: text }, null) + chunk({}, 'stop') + `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 0, model: 'instant', choices: [], usage })}\n\ndata: [DONE]\n\n`);
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}/v1` })));
}

function startApi(home: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [path.join(root, 'bin/luna'), 'api', 'serve', '--port', '0', '--no-dream', '--rate-limit', '1000000', '--max-in-flight', '256', '--max-concurrent', '256'], { env: { ...process.env, LUNA_HOME: home }, stdio: ['ignore', 'ignore', 'pipe'] });
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr!.on('data', (d: Buffer) => {
      err += String(d);
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(err);
      if (m) resolve({ child, url: m[1]! });
    });
    child.on('exit', () => reject(new Error(`luna api exited: ${err}`)));
  });
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))] ?? NaN;

export async function run(): Promise<Record<string, unknown>> {
  const { server, url: modelUrl } = await instantModelServer();
  const out: Record<string, unknown> = { clients: CLIENTS, secondsEach: SECONDS };
  try {
    for (const n of [1, 2, 4]) {
      const db = `luna_bench_api_${process.pid}_${n}`;
      await admin(`CREATE DATABASE ${db}`);
      const dbUrl = `${PG_BASE}/${db}`;
      const store = await openPostgresStore(dbUrl, { poolSize: 4, autoMigrate: true });
      const procs: { child: ChildProcess; url: string }[] = [];
      try {
        await store.createAccount({ id: 'bench', name: 'bench', tier: 'studio' });
        const key = (await store.createApiKey('bench', 'bench')).secret;
        const home = mkdtempSync(path.join(tmpdir(), 'luna-bench-api-scale-'));
        writeFileSync(path.join(home, 'luna.yaml'), stringify({
          database: { url: dbUrl, poolSize: 8 },
          models: { instant: { provider: 'openai-compatible', baseUrl: modelUrl, model: 'instant', maxRetries: 0, timeoutMs: 30_000, price: { inputPerMTok: 1, outputPerMTok: 5 } } },
          agents: { preprocessor: { model: 'instant' }, strategist: { model: 'instant' }, writer: { model: 'instant' }, dreamer: { model: 'instant', inProcess: false } },
        }));
        for (let i = 0; i < n; i++) procs.push(await startApi(home));
        const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
        const stories: string[] = [];
        for (let c = 0; c < CLIENTS; c++) stories.push(((await (await fetch(`${procs[c % n]!.url}/v1/stories`, { method: 'POST', headers, body: JSON.stringify({ title: `Bench ${c}`, premise: 'Maren keeps the light.' }) })).json()) as { id: string }).id);
        const latencies: number[] = [];
        let errors = 0;
        const until = performance.now() + SECONDS * 1000;
        await Promise.all(stories.map(async (id, c) => {
          for (let k = 0; performance.now() < until; k++) {
            const t0 = performance.now();
            const res = await fetch(`${procs[(c + k) % n]!.url}/v1/stories/${id}/turns`, { method: 'POST', headers, body: JSON.stringify({ action: `Maren trims the wick ${k}` }) });
            await res.arrayBuffer();
            if (res.status === 200) latencies.push(performance.now() - t0);
            else errors++;
          }
        }));
        out[`processes${n}`] = { turnsPerSecond: +(latencies.length / SECONDS).toFixed(1), p50Ms: +pct(latencies, 0.5).toFixed(1), p95Ms: +pct(latencies, 0.95).toFixed(1), errors };
      } finally {
        for (const p of procs) p.child.kill('SIGTERM');
        await Promise.all(procs.map((p) => new Promise((r) => (p.child.exitCode !== null ? r(null) : p.child.once('exit', r)))));
        await store.close();
        await admin(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
      }
    }
  } finally {
    server.close();
  }
  return out;
}
