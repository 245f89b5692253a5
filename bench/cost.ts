import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { loadConfig, PACKAGE_ROOT } from '../src/config/load.js';
import { buildReport } from '../src/cost/report.js';
import { openSqliteStore } from '../src/store/sqlite/index.js';
import type { LedgerRow, Store } from '../src/store/types.js';
import { admin, PG_BASE } from './pg-admin.js';
import { prng } from './prng.js';

const run$ = promisify(execFile);
const round = (ms: number) => Math.round(ms * 100) / 100;
const q = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
const med = (xs: number[]) => round([...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!);
const TOTAL = 1_000_000;
const agents = ['preprocessor', 'strategist', 'writer', 'dreamer'] as const;

/**
 * `luna cost report --by day,agent` over a 1,000,000-row ledger: on SQLite (the goal: the built CLI, a child
 * process, as a user runs it; plus the in-process report with its CPU time, which a busy machine inflates
 * less; and the ledger scan the daily roll-up replaces) and on PostgreSQL (for comparison, no roll-up there).
 * Also the write cost the ledger adds to a turn: recordCalls of 3 rows, p50/p99, on the full database.
 */
export async function run(): Promise<Record<string, unknown>> {
  const home = mkdtempSync(path.join(tmpdir(), 'luna-bench-cost-'));
  const dbName = `luna_bench_cost_${randomBytes(4).toString('hex')}`;
  try {
    const store = await openSqliteStore(path.join(home, 'luna.db'), { autoMigrate: true });
    let sqlite: Record<string, unknown>;
    try {
      sqlite = await measure(store, { LUNA_HOME: home }, home);
      // A window that cuts through a day: the daily roll-up cannot answer it, so this times the ledger scan.
      const t0 = performance.now();
      await store.aggregateCalls(['day', 'agent'], { since: '2000-01-01T00:00:01.000Z' });
      sqlite.aggregateDayAgentLedgerScanMs = round(performance.now() - t0);
    } finally {
      await store.close();
    }
    await admin(`CREATE DATABASE ${dbName}`);
    const url = `${PG_BASE}/${dbName}`;
    const { openPostgresStore } = await import('../src/store/postgres/index.js');
    const pgStore = await openPostgresStore(url, { poolSize: 2, autoMigrate: true });
    let postgres: Record<string, unknown>;
    try {
      postgres = await measure(pgStore, { LUNA_DATABASE_URL: url }, home, 3);
    } finally {
      await pgStore.close();
    }
    return { ledgerRows: TOTAL + 1500, goalMs: 1000, sqlite, postgres, loadAverage: (await import('node:os')).loadavg().map((l) => round(l)) };
  } finally {
    await admin(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch(() => undefined);
    rmSync(home, { recursive: true, force: true });
  }
}

/** Fills the store with a million calls, then times turn writes, the in-process report and the CLI. */
async function measure(store: Store, env: Record<string, string>, home: string, reps = 5): Promise<Record<string, unknown>> {
  const r = prng(3);
  const models = [['anthropic', 'claude-haiku-4-5'], ['openai-compatible', 'gpt-4o-mini'], ['local', 'stories260K.gguf'], ['serve', 'llama-3-70b']] as const;
  const batch = 50_000;
  const start = Date.parse('2026-08-01T00:00:00.000Z');
  let t0 = performance.now();
  for (let done = 0; done < TOTAL; done += batch) {
    const rows: LedgerRow[] = Array.from({ length: batch }, (_, i) => {
      const n = done + i;
      const [provider, model] = models[Math.floor(r() * models.length)]!;
      const priced = r() > 0.03;
      return {
        accountId: `acct${Math.floor(r() * 50)}`, storyId: `story${Math.floor(r() * 2000)}`, turnId: `turn${Math.floor(n / 3)}`,
        agent: agents[Math.floor(r() * 4)]!, provider, model, inputTokens: Math.floor(r() * 3000), outputTokens: Math.floor(r() * 400),
        cachedTokens: Math.floor(r() * 200), estimated: r() < 0.05, latencyMs: 40 + Math.floor(r() * 3000), ttftMs: null,
        outcome: r() < 0.02 ? 'failed' : 'ok', costUsd: priced ? r() * 0.002 : null, priceInPerMTok: priced ? 1 : null, priceOutPerMTok: priced ? 5 : null,
        createdAt: new Date(start + Math.floor((n / TOTAL) * 90 * 86_400_000)).toISOString(),
      };
    });
    await store.recordCalls(rows);
  }
  const insertMs = round(performance.now() - t0);

  const write: number[] = [];
  const turnRows = (i: number): LedgerRow[] => agents.slice(1).map((agent) => ({
    accountId: 'acct1', storyId: 'story1', turnId: `bench-turn${i}`, agent, provider: 'anthropic', model: 'claude-haiku-4-5',
    inputTokens: 900, outputTokens: 120, cachedTokens: 0, estimated: false, latencyMs: 700, ttftMs: 90, outcome: 'ok',
    costUsd: 0.0015, priceInPerMTok: 1, priceOutPerMTok: 5,
  }));
  for (let i = 0; i < 500; i++) {
    t0 = performance.now();
    await store.recordCalls(turnRows(i));
    write.push(performance.now() - t0);
  }
  write.sort((a, b) => a - b);

  const config = loadConfig({ home, env: {} }).config;
  const inProcess: number[] = [];
  const cpu: number[] = [];
  let groups = 0;
  for (let i = 0; i < reps; i++) {
    const c0 = process.cpuUsage();
    t0 = performance.now();
    const rep = await buildReport(store, config, ['day', 'agent'], {});
    inProcess.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
    groups = rep.rows.length;
  }
  const cli: number[] = [];
  const bin = path.join(PACKAGE_ROOT, 'bin', 'luna');
  for (let i = 0; i < reps; i++) {
    t0 = performance.now();
    const { stdout } = await run$('node', [bin, '--json', 'cost', 'report', '--by', 'day,agent'], { env: { ...process.env, LUNA_HOME: home, ...env }, maxBuffer: 64 << 20 });
    cli.push(performance.now() - t0);
    if (JSON.parse(stdout).total.calls < TOTAL) throw new Error('the CLI report missed rows');
  }
  return {
    ledgerInsertMs: insertMs,
    ledgerInsertRowsPerSec: Math.round(TOTAL / (insertMs / 1000)),
    reportByDayAgentCliMs: med(cli),
    reportByDayAgentInProcessMs: med(inProcess),
    reportByDayAgentInProcessCpuMs: med(cpu),
    reportGroups: groups,
    turnLedgerWrite3RowsP50Ms: round(q(write, 0.5)),
    turnLedgerWrite3RowsP99Ms: round(q(write, 0.99)),
  };
}


if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(await run(), null, 2));
}
