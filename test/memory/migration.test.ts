import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openPostgresStore } from '../../src/store/postgres/index.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { Store } from '../../src/store/types.js';
import { createDb, dbNameOf, dropDb } from '../postgres/pg-helpers.js';
import { addTurn } from '../store/fixtures.js';

/**
 * Migration 0008 on a story written before it: facts tied to a turn read as the plan's, story-level facts as
 * an import's, each learned at its own turn; none is a tombstone. Down and up again gives the same.
 */
const dbs: string[] = [];
afterAll(async () => {
  for (const d of dbs) await dropDb(d);
}, 60_000);

async function check(s: Store & { migrateDown(to: number): Promise<number[]>; migrateUp(): Promise<number[]> }) {
  const st = await s.createStory({ title: 'Old', premise: 'p' });
  const t = await addTurn(s, st.id, 'a', 'x', { entities: [{ name: 'Ash', kind: 'character' }], facts: [{ entityName: 'Ash', key: 'sword', value: 'broken' }] });
  await s.upsertEntities(st.id, null, [], [{ entityName: 'Ash', key: 'home', value: 'north' }]);
  const latest = (await s.migrationStatus()).latest;
  expect(await s.migrateDown(7)).toEqual(Array.from({ length: latest - 7 }, (_, i) => latest - i));
  expect(await s.migrateUp()).toEqual(Array.from({ length: latest - 7 }, (_, i) => 8 + i));
  const facts = await s.listFacts(st.id);
  expect(facts.map((f) => [f.key, f.origin, f.sourceTurnId, f.removed])).toEqual([['home', 'import', null, false], ['sword', 'plan', t.id, false]]);
  expect(await s.listProposals(st.id)).toEqual([]);
}

describe('migration 0008_memory_edits', () => {
  it('fills provenance for existing facts on SQLite', async () => {
    const s = await openSqliteStore(path.join(mkdtempSync(path.join(tmpdir(), 'luna-mem-mig-')), 'm.db'), { autoMigrate: true });
    try {
      await check(s);
    } finally {
      await s.close();
    }
  });

  it('fills provenance for existing facts on PostgreSQL', async () => {
    const url = await createDb();
    dbs.push(dbNameOf(url));
    const s = await openPostgresStore(url, { poolSize: 2, autoMigrate: true });
    try {
      await check(s);
    } finally {
      await s.close();
    }
  }, 60_000);
});
