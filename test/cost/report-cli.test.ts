import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { openStore } from '../../src/store/open.js';
import { percentile } from '../../src/store/percentile.js';
import type { LedgerRow, Story } from '../../src/store/types.js';
import { luna, tempHome } from '../helpers/cli.js';
import { prng } from '../../bench/prng.js';

let home: string;
let rows: LedgerRow[];
let stories: Story[];


/** provider/model pairs and the spend class the config below makes them. */
const SOURCES = [
  { provider: 'anthropic', model: 'claude-haiku-4-5-20251001', cls: 'cloud' },
  { provider: 'openai-compatible', model: 'llama-3-8b', cls: 'self-hosted' }, // served from a 10.x host
  { provider: 'openai-compatible', model: 'gpt-4o-mini', cls: 'cloud' },
  { provider: 'local', model: 'stories260K.gguf', cls: 'self-hosted' },
  { provider: 'serve', model: 'llama-3-70b', cls: 'self-hosted' },
  { provider: 'burst', model: 'llama-3-70b', cls: 'burst' },
] as const;
const AGENTS = ['preprocessor', 'strategist', 'writer', 'dreamer'] as const;
const classOf = (r: LedgerRow) => (r.agent === 'burst' ? 'burst' : SOURCES.find((s) => s.provider === r.provider && s.model === r.model)!.cls);

beforeAll(async () => {
  home = tempHome('luna-cost-');
  writeFileSync(path.join(home, 'luna.yaml'), stringify({
    models: {
      haiku: { provider: 'anthropic', model: 'claude-haiku-4-5-20251001' },
      lan: { provider: 'openai-compatible', model: 'llama-3-8b', baseUrl: 'http://10.1.2.3:8000/v1' },
      mini: { provider: 'openai-compatible', model: 'gpt-4o-mini' },
    },
    cost: { budgets: { global: { period: 'month', softUsd: 0.01, hardUsd: 1000 } } },
  }));
  const store = await openStore({ poolSize: 1 }, home, { autoMigrateSqlite: true });
  try {
    await store.ensureAccount('acme', 'Acme', 'creator');
    stories = [
      await store.createStory({ title: 'One', premise: 'p' }),
      await store.createStory({ accountId: 'acme', title: 'Two', premise: 'p' }),
    ];
    const r = prng(7);
    const start = Date.parse('2026-10-28T00:00:00.000Z');
    rows = Array.from({ length: 1500 }, (_, i): LedgerRow => {
      const story = stories[i % 2]!;
      const src = SOURCES[Math.floor(r() * SOURCES.length)]!;
      const priced = r() > 0.05;
      return {
        accountId: story.accountId, storyId: story.id, turnId: `turn${Math.floor(i / 3)}`, agent: AGENTS[Math.floor(r() * 4)]!,
        provider: src.provider, model: src.model, inputTokens: Math.floor(r() * 3000), outputTokens: Math.floor(r() * 400),
        cachedTokens: Math.floor(r() * 100), estimated: r() < 0.08, latencyMs: 20 + Math.floor(r() * 2000), ttftMs: null,
        outcome: r() < 0.04 ? 'failed' : r() < 0.05 ? 'fallback' : 'ok', costUsd: priced ? Math.round(r() * 1e6) / 1e9 : null,
        priceInPerMTok: priced ? 1 : null, priceOutPerMTok: priced ? 5 : null,
        createdAt: new Date(start + Math.floor((i / 1500) * 7 * 86_400_000)).toISOString(),
      };
    });
    rows.push({
      accountId: 'local', storyId: null, turnId: null, agent: 'burst', provider: 'runpod', model: 'A100', inputTokens: 0, outputTokens: 0,
      cachedTokens: 0, estimated: false, latencyMs: 3_600_000, ttftMs: null, outcome: 'ok', costUsd: 1.89, priceInPerMTok: null, priceOutPerMTok: null,
      createdAt: '2026-11-02T12:00:00.000Z',
    });
    await store.recordCalls(rows);
  } finally {
    await store.close();
  }
}, 240_000);

const sum = (rs: LedgerRow[], f: (r: LedgerRow) => number) => rs.reduce((s, r) => s + f(r), 0);
const cost = (rs: LedgerRow[]) => sum(rs, (r) => r.costUsd ?? 0);
/** Call latencies: a burst billing row's latencyMs is billed instance time, which no percentile counts. */
const callLatencies = (rs: LedgerRow[]) => rs.filter((r) => r.agent !== 'burst').map((r) => r.latencyMs);

async function json(args: string[]): Promise<any> {
  const res = await luna(['--json', ...args], { home });
  expect(res.stderr).toBe('');
  expect(res.exitCode).toBe(0);
  return JSON.parse(res.stdout);
}

describe('luna cost report', () => {
  it('groups by day and agent with totals, rates and percentiles matching independent sums', async () => {
    const report = await json(['cost', 'report', '--by', 'day,agent']);
    const groups = new Map<string, LedgerRow[]>();
    for (const r of rows) {
      const k = `${r.createdAt!.slice(0, 10)}|${r.agent}`;
      groups.set(k, [...(groups.get(k) ?? []), r]);
    }
    expect(report.rows).toHaveLength(groups.size);
    for (const row of report.rows) {
      const mine = groups.get(`${row.keys.day}|${row.keys.agent}`)!;
      expect(row.calls).toBe(mine.length);
      expect(row.costUsd).toBeCloseTo(cost(mine), 10);
      expect(row.inputTokens).toBe(sum(mine, (r) => r.inputTokens));
      expect(row.unpricedCalls).toBe(mine.filter((r) => r.costUsd === null).length);
      expect(row.estimatedCalls).toBe(mine.filter((r) => r.estimated).length);
      expect(row.failureRate).toBeCloseTo(mine.filter((r) => r.outcome === 'failed').length / mine.length, 12);
      expect(row.latencyP95Ms).toBe(percentile(callLatencies(mine), 0.95));
      const turns = new Set(mine.map((r) => r.turnId).filter(Boolean)).size;
      expect(row.costPerTurnUsd ?? null).toEqual(turns ? expect.closeTo(cost(mine) / turns, 10) : null);
      expect(row.share).toBeCloseTo(cost(mine) / cost(rows), 10);
    }
    expect(report.total.calls).toBe(rows.length);
    expect(report.total.costUsd).toBeCloseTo(cost(rows), 10);
    expect(report.total.latencyP50Ms).toBe(percentile(callLatencies(rows), 0.5));
  });

  it('shows cloud, self-hosted and burst spend apart and together', async () => {
    const { spend } = await json(['cost', 'report']);
    for (const cls of ['cloud', 'self-hosted', 'burst'] as const) {
      const mine = rows.filter((r) => classOf(r) === cls);
      expect(spend[cls].costUsd).toBeCloseTo(cost(mine), 10);
      expect(spend[cls].calls).toBe(mine.length);
    }
    expect(spend.all.costUsd).toBeCloseTo(cost(rows), 10);
    expect(spend.burst.costUsd).toBeGreaterThan(1.89 - 1e-9);
  });

  it('filters by window, agent, story and account', async () => {
    const r1 = await json(['cost', 'report', '--since', '2026-11-01', '--until', '2026-11-02', '--agent', 'writer']);
    const want1 = rows.filter((r) => r.createdAt! >= '2026-11-01' && r.createdAt! < '2026-11-03' && r.agent === 'writer');
    expect(r1.total.calls).toBe(want1.length);
    expect(r1.total.costUsd).toBeCloseTo(cost(want1), 10);
    const r2 = await json(['cost', 'report', '--story', stories[1]!.id.slice(0, 6), '--by', 'model']);
    const want2 = rows.filter((r) => r.storyId === stories[1]!.id);
    expect(r2.total.calls).toBe(want2.length);
    expect(r2.rows.map((r: any) => r.keys.model).sort()).toEqual([...new Set(want2.map((r) => r.model))].sort());
    const r3 = await json(['cost', 'report', '--account', 'acme']);
    expect(r3.total.costUsd).toBeCloseTo(cost(rows.filter((r) => r.accountId === 'acme')), 10);
  });

  it('writes CSV with raw numbers whose cost column adds up to the total', async () => {
    const res = await luna(['cost', 'report', '--by', 'provider', '--csv'], { home });
    expect(res.exitCode).toBe(0);
    const lines = res.stdout.trim().split(/\r\n/);
    const head = lines[0]!.split(',');
    expect(head.slice(0, 2)).toEqual(['provider', 'calls']);
    const ci = head.indexOf('cost_usd');
    const body = lines.slice(1).map((l) => l.split(','));
    const total = body.pop()!;
    expect(total[0]).toBe('TOTAL');
    expect(body.map((b) => b[0]).sort()).toEqual([...new Set(rows.map((r) => r.provider))].sort());
    expect(body.reduce((s, b) => s + Number(b[ci]), 0)).toBeCloseTo(Number(total[ci]), 9);
    expect(Number(total[ci])).toBeCloseTo(cost(rows), 9);
  });

  it('marks unpriced calls and estimated tokens in the table, never as a silent zero', async () => {
    const res = await luna(['cost', 'report', '--by', 'agent'], { home });
    expect(res.exitCode).toBe(0);
    const unpriced = rows.filter((r) => r.costUsd === null).length;
    expect(res.stdout).toContain(`* ${unpriced} call(s) had no known price`);
    expect(res.stdout).toMatch(/\$[0-9.e-]+\*/);
    expect(res.stdout).toContain(`~ ${rows.filter((r) => r.estimated).length} call(s) have estimated token counts`);
    expect(res.stdout).toMatch(/self-hosted\s+\$/);
  });

  it('refuses bad input with usage errors (exit 2)', async () => {
    for (const args of [['--since', 'last-tuesday'], ['--by', 'weather'], ['--by', 'turn'], ['--csv', '--json']]) {
      const res = await luna(['cost', 'report', ...args], { home });
      expect(res.exitCode, args.join(' ')).toBe(2);
      // --json errors are JSON on stderr; the others are `luna: …` lines.
      expect(res.stderr).toMatch(args.includes('--json') ? /"exitCode":2/ : /^luna: /);
    }
  });
});

describe('luna cost prices and budget', () => {
  it('lists the price table with dates and sources', async () => {
    const prices = await json(['cost', 'prices']);
    expect(prices).toContainEqual(expect.objectContaining({ model: 'claude-haiku-4-5-20251001', provider: 'anthropic', inputPerMTok: 1, outputPerMTok: 5, longPrompt: null, origin: 'table' }));
    expect(prices).toContainEqual(expect.objectContaining({
      model: 'claude-haiku-5-5', inputPerMTok: 0.1, outputPerMTok: 0.5,
      longPrompt: { thresholdTokens: 100_000, inputPerMTok: 0.5, outputPerMTok: 2.5, cachedInputPerMTok: 0.05 },
    }));
    expect(prices.every((p: any) => p.origin === 'config' || (p.date && p.source?.startsWith('https://')))).toBe(true);
  });

  it('shows the global budget level from the ledger spend this month', async () => {
    const out = await json(['cost', 'budget']);
    const global = out.items.find((i: any) => i.name === 'global budget');
    const monthStart = new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), 1)).toISOString();
    const spent = cost(rows.filter((r) => r.createdAt! >= monthStart));
    expect(global.used).toBeCloseTo(spent, 10);
    expect(global.level).toBe(spent >= 0.01 ? 'soft' : 'ok');
    // `acme` is on the creator tier (5000 turns a month); the local account has no quota.
    expect(out.items.filter((i: any) => i.kind === 'quota').map((i: any) => i.accountId)).toEqual(['acme']);
  });
});
