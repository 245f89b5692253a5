import { afterAll, beforeAll } from 'vitest';
import { openPostgresStore } from '../../src/store/postgres/index.js';
import { createDb, dbNameOf, dropDb, migratedTemplate, uniqueDbName } from '../postgres/pg-helpers.js';
import { runStoreContract } from './contract.js';

/** The same behavioural suite as SQLite, on a fresh PostgreSQL database per test (copied from a migrated template). */
let template = '';
const created: string[] = [];
beforeAll(async () => {
  template = await migratedTemplate();
}, 60_000);
afterAll(async () => {
  for (const db of created) await dropDb(db);
  if (template) await dropDb(template);
}, 60_000);

runStoreContract('postgres (fresh database per test)', async () => {
  // The previous test's store is closed by now: drop its database instead of piling them up.
  while (created.length) await dropDb(created.pop()!);
  const url = await createDb(uniqueDbName(), template);
  created.push(dbNameOf(url));
  return openPostgresStore(url, { poolSize: 4 });
});
