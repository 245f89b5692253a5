import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateStory } from '../../bench/story-gen.js';
import { copySqliteToPostgres } from '../../src/store/postgres/copy.js';
import { pgDump, pgRestore } from '../../src/store/postgres/dump.js';
import { openPostgresStore } from '../../src/store/postgres/index.js';
import { restoreSqlite } from '../../src/store/sqlite/backup.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { Store } from '../../src/store/types.js';
import { addTurn, ledgerRow } from '../store/fixtures.js';
import { createDb, dbNameOf, dropDb } from './pg-helpers.js';

const dir = mkdtempSync(path.join(tmpdir(), 'luna-pg-ops-'));
const dbs: string[] = [];
afterAll(async () => {
  for (const d of dbs) await dropDb(d);
  rmSync(dir, { recursive: true, force: true });
}, 60_000);
async function freshPg(): Promise<string> {
  const url = await createDb();
  dbs.push(dbNameOf(url));
  return url;
}

/** Everything a reader can observe about a story, for comparing two stores. */
async function snapshot(s: Store, storyId: string) {
  const story = (await s.getStory(storyId))!;
  const leaves = await s.listLeaves(storyId);
  return {
    story,
    branches: await Promise.all(leaves.map((l) => s.getBranch(storyId, l.id))),
    leaves,
    roots: await s.getChildren(null, storyId),
    entities: await s.listEntities(storyId),
    facts: await s.listFacts(storyId),
    proposals: await s.listProposals(storyId),
    lore: await s.listLore(storyId),
    card: await s.getStoryCard(storyId),
    arcs: await s.listArcSummaries(storyId),
    calls: (await s.listCalls({ storyId })).length,
    jobs: await s.listJobs({ storyId }),
    size: await s.historySize(storyId, story.headTurnId),
  };
}

describe('db copy SQLite → PostgreSQL', () => {
  it('moves a 10,000-turn story with branches and every side table, ids and tree intact', async () => {
    const file = path.join(dir, 'big.db');
    const src = await openSqliteStore(file, { autoMigrate: true });
    const gen = generateStory({ turns: 10_000, facts: [{ turn: 9000 }, { turn: 9500, structured: false }, { turn: 100, change: 5000 }], seed: 5 });
    const story = await src.importStory({ ...gen.bundle, branches: [{ from: 9990, turns: [{ action: 'side', prose: 'a side branch' }] }] });
    const t = await addTurn(src, story.id, 'go on', 'more', {
      entities: [{ name: 'Nim', kind: 'character' }], facts: [{ entityName: 'Nim', key: 'mood', value: 'calm' }],
      ledger: [ledgerRow({ costUsd: 0.003 }), ledgerRow({ costUsd: null, agent: 'strategist' })], jobs: [{ kind: 'embed-turn', payload: { x: 1 } }],
    });
    // Provenance, tombstones and the review queue cross over too (docs/memory.md).
    await src.upsertEntities(story.id, t.id, [], [{ entityName: 'Nim', key: 'mood', value: '', removed: true }], { origin: 'player', sourceTurnId: t.id });
    await src.addProposals(story.id, t.id, 'dreamer', [{ op: 'fact', entity: 'Nim', key: 'home', value: 'harbour' }, { op: 'entity', name: 'Tern', kind: 'item' }]);
    await src.decideProposals(story.id, 'all', false);
    await src.addProposals(story.id, null, 'plan', [{ op: 'fact-rm', entity: 'Nim', key: 'mood' }]);
    await src.putEmbedding(t.id, story.id, new Float32Array([0.25, -1.5, 3]));
    await src.saveImagePrompt(t.id, 'a calm harbour');
    await src.importLore(story.id, [{ title: 'Rx', body: 'b', keywords: ['/x/i'], secondaryKeys: ['y'], logic: 'not-all', probability: 40, position: 'recent', enabled: false, comment: 'c' }]);
    const carded = await src.importStory({ title: 'Card', premise: '', turns: [], card: { spec: 'chara_card_v3', data: { name: 'Card', extra: 1 }, tags: ['t'], image: Buffer.from([137, 80, 78, 71, 0, 255]).toString('base64') } });
    await src.addArcSummary({ storyId: story.id, toTurnId: t.id, fromDepth: 1, toDepth: t.depth, kind: 'arc', summary: 'long voyage' });
    await src.createAccount({ id: 'studio', name: 'Studio', tier: 'studio' });
    const { secret } = await src.createApiKey('studio', 'prod');
    const other = await src.createStory({ accountId: 'studio', title: 'Studio story', premise: 'p' });
    await addTurn(src, other.id, 'hello', 'world');
    // Steering columns (migration 0009) travel too: the Author's Note, a continued turn's note and ooc, an edit.
    await src.setAuthorNote(story.id, 'keep it salty');
    const steered = await addTurn(src, other.id, '', 'it goes on', { continued: true, note: 'slowly', ooc: 'a storm' });
    await src.editTurnProse(other.id, steered.id, 'edited by hand');
    await src.saveBurstInstance({
      id: 'b1', name: 'luna-d-b1', deployment: 'd', provider: 'runpod', providerInstanceId: null, gpuType: 'A100', gpuCount: 1, pricePerHour: 1.5,
      state: 'ready', endpoint: null, apiKey: null, serves: ['w'], launchedAt: '2026-04-01T10:00:00.000Z', readyAt: null, lastActiveAt: null,
      terminatedAt: null, billedUntil: null, lastError: null,
    });

    const url = await freshPg();
    const seen = new Set<string>();
    const report = await copySqliteToPostgres(file, url, (table) => seen.add(table));
    expect(report.tables.find((x) => x.table === 'turns')?.rows).toBe(10_000 + 1 + 1 + 1 + 1);
    expect(seen).toEqual(new Set(report.tables.map((x) => x.table)));

    const dst = await openPostgresStore(url, { poolSize: 2 });
    try {
      await dst.assertSchemaCurrent();
      for (const id of [story.id, other.id, carded.id]) expect(await snapshot(dst, id)).toEqual(await snapshot(src, id));
      expect((await dst.getStoryCard(carded.id))?.image).toEqual(Buffer.from([137, 80, 78, 71, 0, 255]));
      const main = await dst.getBranch(story.id, t.id);
      expect(main).toHaveLength(10_001);
      expect(main.map((x) => x.depth)).toEqual(Array.from({ length: 10_001 }, (_, i) => i + 1));
      expect(await dst.searchEmbeddings(story.id, new Float32Array([0.25, -1.5, 3]), 1)).toEqual(await src.searchEmbeddings(story.id, new Float32Array([0.25, -1.5, 3]), 1));
      expect(await dst.getImagePrompts([t.id])).toEqual({ [t.id]: 'a calm harbour' });
      expect(await dst.resolveApiKey(secret)).toMatchObject({ accountId: 'studio' });
      expect(await dst.getBurstInstance('b1')).toEqual(await src.getBurstInstance('b1'));
      expect((await dst.getTurn(steered.id))).toMatchObject({ continued: true, note: 'slowly', ooc: 'a storm', prose: 'edited by hand', editedAt: expect.any(String) });
      expect(await dst.historySize(other.id, steered.id)).toEqual(await src.historySize(other.id, steered.id));
      expect(await dst.aggregateCalls(['agent'])).toEqual(await src.aggregateCalls(['agent']));
      expect((await dst.searchTurns(story.id, 'a side branch', 3))[0]?.turnId).toBe((await src.searchTurns(story.id, 'a side branch', 3))[0]?.turnId);
      // Copying again into the same (now non-empty) database is refused and changes nothing.
      await expect(copySqliteToPostgres(file, url)).rejects.toThrow(/already holds/);
      expect(await dst.countTurns(story.id)).toBe(10_002);
    } finally {
      await dst.close();
      await src.close();
    }
  }, 180_000);
});

describe('backup and restore round trips', () => {
  it('PostgreSQL: pg_dump -Fc then pg_restore --clean brings back exactly the backed-up state', async () => {
    const url = await freshPg();
    const s = await openPostgresStore(url, { poolSize: 2, autoMigrate: true });
    try {
      const st = await s.createStory({ title: 'Keep me', premise: 'p' });
      await addTurn(s, st.id, 'one', 'first', { ledger: [ledgerRow()] });
      const before = await snapshot(s, st.id);
      const dump = path.join(dir, 'pg.dump');
      await pgDump(url, dump);
      await addTurn(s, st.id, 'two', 'after the backup');
      await s.deleteStory(st.id);
      await s.createStory({ title: 'Made after the backup', premise: 'p' });
      await pgRestore(url, dump);
      expect((await s.listStories()).map((x) => x.title)).toEqual(['Keep me']);
      expect(await snapshot(s, st.id)).toEqual(before);
      await s.assertSchemaCurrent();
      // RLS survives the restore: a scoped store still cannot see another account's story.
      expect(await s.forAccount('nobody').getStory(st.id)).toBeNull();
      await expect(pgRestore(url, path.join(dir, 'missing.dump'))).rejects.toThrow(/pg_restore failed/);
    } finally {
      await s.close();
    }
  }, 60_000);

  it('SQLite: the online backup API copy restores into the live file', async () => {
    const file = path.join(dir, 'live.db');
    const s = await openSqliteStore(file, { autoMigrate: true });
    const st = await s.createStory({ title: 'Keep me', premise: 'p' });
    await addTurn(s, st.id, 'one', 'first');
    const before = await snapshot(s, st.id);
    const copy = path.join(dir, 'live-backup.db');
    await s.backupTo(copy);
    await addTurn(s, st.id, 'two', 'after the backup');
    await s.createStory({ title: 'Made after the backup', premise: 'p' });
    await s.close();
    await restoreSqlite(file, copy);
    const again = await openSqliteStore(file);
    try {
      expect((await again.listStories()).map((x) => x.title)).toEqual(['Keep me']);
      expect(await snapshot(again, st.id)).toEqual(before);
    } finally {
      await again.close();
    }
    await expect(restoreSqlite(file, path.join(dir, 'nope.db'))).rejects.toThrow(/not found/);
  });
});
