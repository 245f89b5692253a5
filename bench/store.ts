import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { openSqliteStore } from '../src/store/sqlite/index.js';
import type { LedgerRow, StoryBundle } from '../src/store/types.js';
import { prng } from './prng.js';

const WORDS = ['river', 'stone', 'lantern', 'road', 'mist', 'forest', 'tower', 'ember', 'captain', 'harbor', 'blade', 'whisper', 'storm', 'glass'];


async function time<T>(fn: () => Promise<T>, runs = 5): Promise<{ medianMs: number; result: T }> {
  const times: number[] = [];
  let result!: T;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    result = await fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { medianMs: round(times[Math.floor(times.length / 2)]!), result };
}

const round = (ms: number) => Math.round(ms * 100) / 100;

/**
 * SQLite store on a real temp file: a 10,000-turn story (import, branch walks, search, commits on top of it)
 * and a 300,000-row ledger by default (bulk insert, aggregate reports over all time, one month, one account).
 * Medians of a few runs; the machine may be shared, so compare figures from the same run.
 */
export async function run(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(path.join(tmpdir(), 'luna-bench-store-'));
  const store = await openSqliteStore(path.join(dir, 'luna.db'), { autoMigrate: true });
  try {
    const r = prng(1);
    const sentence = (n: number) => Array.from({ length: n }, () => WORDS[Math.floor(r() * WORDS.length)]).join(' ');
    const turns = 10_000;
    const bundle: StoryBundle = {
      title: 'Bench', premise: 'A long voyage',
      turns: Array.from({ length: turns }, (_, i) => ({ action: `step ${i} ${sentence(6)}`, prose: `${sentence(80)}.` })),
      branches: [{ from: 5000, turns: Array.from({ length: 50 }, () => ({ action: sentence(5), prose: sentence(60) })) }],
    };
    let t0 = performance.now();
    const story = await store.importStory(bundle);
    const importMs = round(performance.now() - t0);

    const branch = await time(() => store.getBranch(story.id, story.headTurnId));
    const branchLast10 = await time(() => store.getBranch(story.id, story.headTurnId, { limit: 10 }));
    const branchIds = await time(() => store.getBranchIds(story.id, story.headTurnId));
    const search = await time(() => store.searchTurns(story.id, 'the captain lit a lantern in the storm', 48));
    const historySize = await time(() => store.historySize(story.id, story.headTurnId));

    const commits = 100;
    t0 = performance.now();
    for (let i = 0; i < commits; i++) {
      const head = (await store.getStory(story.id))!.headTurnId;
      await store.commitTurn({
        storyId: story.id, expectedHeadId: head, parentId: head, action: sentence(6), prose: sentence(80), plan: { beats: [sentence(4)] },
        entities: [{ name: `Npc${i % 10}`, kind: 'character' }], facts: [{ entityName: `Npc${i % 10}`, key: 'mood', value: sentence(1) }],
        ledger: [{ agent: 'writer', provider: 'local', model: 'demo', inputTokens: 900, outputTokens: 120, cachedTokens: 0, estimated: false, latencyMs: 800, ttftMs: 90, outcome: 'ok', costUsd: 0.0002, priceInPerMTok: 0.1, priceOutPerMTok: 0.4 }],
        jobs: [{ kind: 'embed-turn' }],
      });
    }
    const commitTurnMs = round((performance.now() - t0) / commits);

    // 300k keeps the bench under a minute on a shared 2-core box; LUNA_BENCH_LEDGER_ROWS=1000000 for the full-size figure.
    const ledgerRows = Math.max(50_000, Math.round(Number(process.env.LUNA_BENCH_LEDGER_ROWS ?? 300_000) / 50_000) * 50_000);
    const agents = ['preprocessor', 'strategist', 'writer', 'dreamer'] as const;
    const models = ['demo', 'gpt-4o-mini', 'claude-haiku', 'llama-70b'];
    const start = Date.parse('2026-01-01T00:00:00.000Z');
    t0 = performance.now();
    for (let done = 0; done < ledgerRows; done += 50_000) {
      const batch: LedgerRow[] = Array.from({ length: 50_000 }, (_, i) => {
        const priced = r() > 0.05;
        return {
          accountId: `acct${Math.floor(r() * 50)}`, storyId: `story${Math.floor(r() * 2000)}`, turnId: `turn${Math.floor(r() * 300_000)}`,
          agent: agents[Math.floor(r() * 4)]!, provider: 'p', model: models[Math.floor(r() * 4)]!, inputTokens: Math.floor(r() * 3000),
          outputTokens: Math.floor(r() * 400), cachedTokens: 0, estimated: r() < 0.1, latencyMs: 50 + Math.floor(r() * 4000), ttftMs: null,
          outcome: r() < 0.02 ? 'failed' : 'ok', costUsd: priced ? r() * 0.002 : null, priceInPerMTok: priced ? 0.15 : null, priceOutPerMTok: priced ? 0.6 : null,
          createdAt: new Date(start + Math.floor(((done + i) / ledgerRows) * 90 * 86_400_000)).toISOString(),
        };
      });
      await store.recordCalls(batch);
    }
    const ledgerInsertMs = round(performance.now() - t0);
    const byAgent = await time(() => store.aggregateCalls(['agent']), 2);
    const byDayModel = await time(() => store.aggregateCalls(['day', 'model']), 2);
    const monthFiltered = await time(() => store.aggregateCalls(['agent'], { since: '2026-02-01', until: '2026-03-01' }), 2);
    const oneAccount = await time(() => store.aggregateCalls(['day'], { accountId: 'acct7' }), 2);

    return {
      turns,
      importStoryMs: importMs,
      getBranchFullMs: branch.medianMs,
      getBranchFullTurns: branch.result.length,
      getBranchLast10Ms: branchLast10.medianMs,
      getBranchIdsMs: branchIds.medianMs,
      searchTurnsMs: search.medianMs,
      searchTurnsHits: search.result.length,
      historySizeMs: historySize.medianMs,
      commitTurnAvgMs: commitTurnMs,
      ledgerRows,
      ledgerInsertMs,
      ledgerInsertRowsPerSec: Math.round(ledgerRows / (ledgerInsertMs / 1000)),
      aggregateByAgentMs: byAgent.medianMs,
      aggregateByDayModelMs: byDayModel.medianMs,
      aggregateByDayModelGroups: byDayModel.result.length,
      aggregateOneMonthByAgentMs: monthFiltered.medianMs,
      aggregateOneAccountByDayMs: oneAccount.medianMs,
    };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(await run(), null, 2));
}
