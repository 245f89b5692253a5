import { beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/open.js';
import type { LedgerRow } from '../../src/store/types.js';
import { luna, tempHome } from '../helpers/cli.js';

let home: string;
let storyId: string;

beforeAll(async () => {
  home = tempHome('luna-cost-width-');
  const store = await openStore({ poolSize: 1 }, home, { autoMigrateSqlite: true });
  try {
    const story = await store.createStory({ title: 'Wide', premise: 'p' });
    storyId = story.id;
    const agents = ['preprocessor', 'strategist', 'writer', 'dreamer'] as const;
    const rows = Array.from({ length: 40 }, (_, i): LedgerRow => ({
      accountId: 'local', storyId: story.id, turnId: `turn-with-a-long-id-${Math.floor(i / 4)}`, agent: agents[i % 4]!,
      provider: 'openai-compatible', model: i % 3 ? 'gpt-4o-mini-2024-07-18' : 'claude-haiku-4-5-20251001', inputTokens: 123_456 + i, outputTokens: 45_678,
      cachedTokens: 12_345, estimated: false, latencyMs: 1500 + i * 37, ttftMs: null, outcome: i % 9 ? 'ok' : 'fallback',
      costUsd: 0.001234 + i / 1e5, priceInPerMTok: 1, priceOutPerMTok: 5, createdAt: new Date(Date.UTC(2026, 10, 1 + (i % 7))).toISOString(),
    }));
    await store.recordCalls(rows);
  } finally {
    await store.close();
  }
}, 60_000);

const widest = (s: string) => Math.max(...s.split('\n').map((l) => [...l].length));

describe('cost report fits the terminal', () => {
  it.each([80, 120])('at %i columns no line wraps, and it says what it left out', async (width) => {
    for (const by of [[], ['--by', 'model'], ['--by', 'agent,model']]) {
      const r = await luna(['cost', 'report', ...by], { home, env: { COLUMNS: String(width) } });
      expect(r.exitCode, r.stderr).toBe(0);
      expect(widest(r.stdout), `${by.join(' ')}\n${r.stdout}`).toBeLessThanOrEqual(width);
      expect(r.stdout.replace(/\s+/g, ' ')).toMatch(/left out to fit the terminal; --csv or --json has every column/);
      expect(r.stdout).toMatch(/│ cost\b/);
      expect(r.stdout).toMatch(/cost\/turn/);
    }
  });

  it('per turn at 80 columns', async () => {
    const r = await luna(['cost', 'report', '--story', storyId, '--by', 'turn'], { home, env: { COLUMNS: '80' } });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(widest(r.stdout), r.stdout).toBeLessThanOrEqual(80);
    expect(r.stdout).toMatch(/total/);
  });

  it('with no width to fit (a pipe, no COLUMNS) every column stays', async () => {
    const r = await luna(['cost', 'report'], { home, env: { COLUMNS: '' } });
    expect(r.exitCode, r.stderr).toBe(0);
    for (const col of ['calls', 'turns', 'input tok', 'output tok', 'cached tok', 'cost', 'share', 'cost/turn', 'p50', 'p95', 'failed', 'fallback']) expect(r.stdout).toContain(col);
    expect(r.stdout).not.toMatch(/left out/);
  });
});
