import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openPostgresStore, type PostgresStore } from '../../src/store/postgres/index.js';
import { createDb, dbNameOf, dropDb } from './pg-helpers.js';

/**
 * Migration 0015 without btree_gin: where the extension cannot be created, the text index stays per word (the
 * searches stay right), and running 0015 again once it can be builds the index by story and word. The
 * extension is made to fail the way a server without it would: one of its functions already exists.
 */
let url = '';
let store: PostgresStore;
let c: pg.Client;
beforeAll(async () => {
  url = await createDb();
  c = new pg.Client({ connectionString: url });
  await c.connect();
  await c.query(`CREATE FUNCTION gin_enum_cmp(anyenum, anyenum) RETURNS int4 LANGUAGE sql AS 'SELECT 0'`);
  store = await openPostgresStore(url, { poolSize: 2 });
}, 60_000);
afterAll(async () => {
  await store?.close();
  await c?.end();
  if (url) await dropDb(dbNameOf(url));
});

const indexes = async () => (await c.query(`SELECT to_regclass('turns_tsv')::text AS word, to_regclass('turns_story_tsv')::text AS story,
  EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'btree_gin') AS ext`)).rows[0];

it('keeps the per-word index when btree_gin cannot be created, searches the same, and builds the story index when run again', async () => {
  expect((await store.migrateUp()).at(-1)).toBe(store.migrator.latestVersion());
  expect(await indexes()).toEqual({ word: 'turns_tsv', story: null, ext: false });
  const turns = Array.from({ length: 120 }, (_, i) => ({ action: 'look', prose: i % 30 === 7 ? `The quorbel gleams by the gate, ${i}.` : `The tide turns, ${i}.` }));
  const st = await store.importStory({ title: 'Fallback', premise: 'p', turns });
  await store.importStory({ title: 'Other', premise: 'p', turns });
  const before = await store.searchTurns(st.id, 'quorbel gate', 10);
  expect(before).toHaveLength(4);

  await c.query('DROP FUNCTION gin_enum_cmp(anyenum, anyenum)');
  expect(await store.migrateDown(14)).toEqual([17, 16, 15]);
  expect(await store.migrateUp()).toEqual([15, 16, 17]);
  expect(await indexes()).toEqual({ word: null, story: 'turns_story_tsv', ext: true });
  expect(await store.searchTurns(st.id, 'quorbel gate', 10)).toEqual(before);
});
