import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { loadConfig, PACKAGE_ROOT } from '../src/config/load.js';
import { buildReport } from '../src/cost/report.js';
import { openSqliteStore } from '../src/store/sqlite/index.js';
import type { LedgerRow } from '../src/store/types.js';
import { prng } from './prng.js';

const run$ = promisify(execFile);
const round = (ms: number) => Math.round(ms * 100) / 100;


const q = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;

/**
 * `luna cost report --by day,agent` over a 1,000,000-row SQLite ledger (the built CLI, a child process, as a
 * user runs it; plus the in-process report with its CPU time, which a busy machine inflates less), and the
 * write cost the ledger adds to a turn: recordCalls of 3 rows, p50/p99, on the same full database.
 */
export async function run(): Promise<Record<string, unknown>> {
  const home = mkdtempSync(path.join(tmpdir(), 'luna-bench-cost-'));
  const store = await openSqliteStore(path.join(home, 'luna.db'), { autoMigrate: true });
  try {
    const r = prng(3);
    const agents = ['preprocessor', 'strategist', 'writer', 'dreamer'] as const;
    const models = [['anthropic', 'claude-haiku-4-5'], ['openai-compatible', 'gpt-4o-mini'], ['local', 'stories260K.gguf'], ['serve', 'llama-3-70b']] as const;
    const total = 1_000_000;
    const batch = 50_000;
    const start = Date.parse('2026-08-01T00:00:00.000Z');
    let t0 = performance.now();
    for (let done = 0; done < total; done += batch) {
      const rows: LedgerRow[] = Array.from({ length: batch }, (_, i) => {
        const n = done + i;
        const [provider, model] = models[Math.floor(r() * models.length)]!;
        const priced = r() > 0.03;
        return {
          accountId: `acct${Math.floor(r() * 50)}`, storyId: `story${Math.floor(r() * 2000)}`, turnId: `turn${Math.floor(n / 3)}`,
          agent: agents[Math.floor(r() * 4)]!, provider, model, inputTokens: Math.floor(r() * 3000), outputTokens: Math.floor(r() * 400),
          cachedTokens: Math.floor(r() * 200), estimated: r() < 0.05, latencyMs: 40 + Math.floor(r() * 3000), ttftMs: null,
          outcome: r() < 0.02 ? 'failed' : 'ok', costUsd: priced ? r() * 0.002 : null, priceInPerMTok: priced ? 1 : null, priceOutPerMTok: priced ? 5 : null,
          createdAt: new Date(start + Math.floor((n / total) * 90 * 86_400_000)).toISOString(),
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
    // Few repetitions: inserting the million rows already takes most of the ~60 s a bench may use.
    for (let i = 0; i < 1; i++) {
      const c0 = process.cpuUsage();
      t0 = performance.now();
      const rep = await buildReport(store, config, ['day', 'agent'], {});
      inProcess.push(performance.now() - t0);
      const c = process.cpuUsage(c0);
      cpu.push((c.user + c.system) / 1000);
      groups = rep.rows.length;
    }
    const agg: number[] = [];
    for (let i = 0; i < 1; i++) {
      t0 = performance.now();
      // A window of its own, so the SQLite store really scans instead of rolling up the report's groups.
      await store.aggregateCalls(['day', 'agent'], { since: '2000-01-01T00:00:00.000Z' });
      agg.push(performance.now() - t0);
    }
    const cli: number[] = [];
    const bin = path.join(PACKAGE_ROOT, 'bin', 'luna');
    for (let i = 0; i < 2; i++) {
      t0 = performance.now();
      const { stdout } = await run$('node', [bin, '--json', 'cost', 'report', '--by', 'day,agent'], { env: { ...process.env, LUNA_HOME: home }, maxBuffer: 64 << 20 });
      cli.push(performance.now() - t0);
      if (JSON.parse(stdout).total.calls < total) throw new Error('the CLI report missed rows');
    }
    const med = (xs: number[]) => round([...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!);
    return {
      ledgerRows: total + 1500,
      ledgerInsertMs: insertMs,
      ledgerInsertRowsPerSec: Math.round(total / (insertMs / 1000)),
      reportByDayAgentCliMs: med(cli),
      reportByDayAgentInProcessMs: med(inProcess),
      reportByDayAgentInProcessCpuMs: med(cpu),
      reportGroups: groups,
      aggregateDayAgentOneFreshScanMs: med(agg),
      goalMs: 1000,
      turnLedgerWrite3RowsP50Ms: round(q(write, 0.5)),
      turnLedgerWrite3RowsP99Ms: round(q(write, 0.99)),
      loadAverage: (await import('node:os')).loadavg().map((l) => Math.round(l * 100) / 100),
    };
  } finally {
    await store.close();
    rmSync(home, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(await run(), null, 2));
}
