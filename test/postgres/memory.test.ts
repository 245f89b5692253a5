import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateStory, type GeneratedStory } from '../../bench/story-gen.js';
import { contextSchema } from '../../src/config/schema.js';
import { curateContext } from '../../src/pipeline/preprocessor.js';
import { openPostgresStore } from '../../src/store/postgres/index.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { Store, Story } from '../../src/store/types.js';
import { estimateTokens } from '../../src/util/tokens.js';
import { createDb, dbNameOf, dropDb } from './pg-helpers.js';

/**
 * The long-story memory suite (test/pipeline/memory.test.ts) on PostgreSQL, plus a side-by-side check
 * against SQLite: tsvector + ts_rank_cd must recall what FTS5 + BM25 recalls.
 */
const TURNS = 400;
const config = contextSchema.parse({});
let url = '';
let dir = '';
let pgStore: Store;
let sqStore: Store;
let pgStory: Story;
let sqStory: Story;
let gen: GeneratedStory;

beforeAll(async () => {
  url = await createDb();
  dir = mkdtempSync(path.join(tmpdir(), 'luna-pgmem-'));
  pgStore = await openPostgresStore(url, { poolSize: 3, autoMigrate: true });
  sqStore = await openSqliteStore(path.join(dir, 'mem.db'), { autoMigrate: true });
  const specs = [20, 50, 100, 150, 200, 250, 300, 350].flatMap((d, i) => [
    { turn: TURNS - d, structured: true },
    { turn: TURNS - d - 1, structured: false },
    ...(i % 3 === 0 ? [{ turn: TURNS - d - 2, structured: true, change: Math.min(TURNS - 5, TURNS - d + 10) }] : []),
  ]);
  gen = generateStory({ turns: TURNS, facts: specs, seed: 11 });
  pgStory = await pgStore.importStory(gen.bundle);
  sqStory = await sqStore.importStory(gen.bundle);
}, 60_000);
afterAll(async () => {
  await pgStore?.close();
  await sqStore?.close();
  if (url) await dropDb(dbNameOf(url));
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe('memory over hundreds of turns on PostgreSQL', () => {
  it('recalls planted facts at every distance, inside the budget, with ≥ 96% compression', async () => {
    const misses: string[] = [];
    for (const f of gen.facts.filter((x) => !x.supersededAt)) {
      const { context, text } = await curateContext({ store: pgStore, story: pgStory, headId: pgStory.headTurnId, action: f.probe, config });
      expect(context.totalTokens).toBeLessThanOrEqual(config.budgetTokens);
      expect(estimateTokens(text)).toBeLessThanOrEqual(config.budgetTokens + 40);
      expect(context.compression).toBeGreaterThanOrEqual(0.96);
      if (!text.includes(f.expect)) misses.push(`${f.entity}.${f.key} @${f.turn} (${f.structured ? 'sheet' : 'prose'})`);
    }
    expect(misses).toEqual([]);
  });

  it('presents a changed fact at its current value, keeping the old one only as history', async () => {
    const changed = gen.facts.filter((f) => f.supersededAt && f.structured);
    expect(changed.length).toBeGreaterThan(0);
    for (const old of changed) {
      const { text } = await curateContext({ store: pgStore, story: pgStory, headId: pgStory.headTurnId, action: old.probe, config });
      const sheetLine = text.split('\n').find((l) => l.startsWith(`- ${old.key}:`));
      expect(sheetLine).toContain('stolen by Korvin Ashe');
      expect(sheetLine).toContain(`was: ${old.value}`);
    }
  });

  it('memory follows the branch: on a branch cut before a fact was stated, the fact is absent', async () => {
    const fact = gen.facts.find((f) => f.structured && !f.supersededAt && f.turn > 300)!;
    const branch = await pgStore.getBranch(pgStory.id, pgStory.headTurnId);
    const { text } = await curateContext({ store: pgStore, story: pgStory, headId: branch[fact.turn - 2]!.id, action: fact.probe, config });
    expect(text).not.toContain(`- ${fact.key}: ${fact.value}`);
    const atHead = await curateContext({ store: pgStore, story: pgStory, headId: pgStory.headTurnId, action: fact.probe, config });
    expect(atHead.text).toContain(`- ${fact.key}: ${fact.value}`);
  });

  it('retrieves like SQLite: the fact turn ranks top-3 wherever SQLite ranks it top-3, and top-10 sets overlap ≥ 70% on average', async () => {
    const pgLine = await pgStore.getBranch(pgStory.id, pgStory.headTurnId);
    const sqLine = await sqStore.getBranch(sqStory.id, sqStory.headTurnId);
    const depthOf = (line: { id: string; depth: number }[]) => new Map(line.map((t) => [t.id, t.depth]));
    const pgDepth = depthOf(pgLine);
    const sqDepth = depthOf(sqLine);
    let overlap = 0;
    const probes = gen.facts.filter((f) => !f.supersededAt && !f.structured);
    for (const f of probes) {
      const pg = (await pgStore.searchTurns(pgStory.id, f.probe, 10)).map((h) => pgDepth.get(h.turnId)!);
      const sq = (await sqStore.searchTurns(sqStory.id, f.probe, 10)).map((h) => sqDepth.get(h.turnId)!);
      expect(pg, f.probe).toContain(f.turn);
      expect(sq, f.probe).toContain(f.turn);
      // Ties (two characters sharing a first name) may order differently; rank within the top 3 may not.
      if (sq.indexOf(f.turn) < 3) expect(pg.indexOf(f.turn), f.probe).toBeLessThan(3);
      overlap += pg.filter((d) => sq.includes(d)).length / Math.max(1, Math.min(10, sq.length));
    }
    process.stdout.write(`top-10 overlap with SQLite: ${(overlap / probes.length).toFixed(3)} over ${probes.length} probes\n`);
    expect(overlap / probes.length).toBeGreaterThanOrEqual(0.7);
  });

  it('a large import refreshes the planner statistics at once: its search uses the text index, not a scan of the whole story', async () => {
    const big = await pgStore.importStory(generateStory({ turns: 600, facts: [], seed: 12 }).bundle);
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      // Never analyzed, turns of one story were estimated at a handful of rows (the plan then read them all).
      const plan = (await c.query('EXPLAIN (FORMAT JSON) SELECT id FROM turns WHERE story_id = $1', [big.id])).rows[0]['QUERY PLAN'][0].Plan;
      expect(plan['Plan Rows']).toBeGreaterThan(300);
    } finally {
      await c.end();
    }
  });
});
