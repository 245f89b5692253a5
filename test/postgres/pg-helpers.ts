import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { openPostgresStore, type PostgresStore } from '../../src/store/postgres/index.js';

/** The test cluster: trust auth on 127.0.0.1, databases created under unique names and dropped afterwards. */
export const PG_BASE = process.env.LUNA_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432';
export const pgUrl = (db: string) => `${PG_BASE}/${db}`;

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: pgUrl('postgres') });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

export function uniqueDbName(tag = 'luna_test'): string {
  return `${tag}_${process.pid}_${randomBytes(4).toString('hex')}`;
}

/** Creates an empty database (optionally as a copy of a template) and returns its URL. */
export async function createDb(name = uniqueDbName(), template?: string): Promise<string> {
  await admin((c) => c.query(`CREATE DATABASE ${name}${template ? ` TEMPLATE ${template}` : ''}`));
  return pgUrl(name);
}

export async function dropDb(name: string): Promise<void> {
  await admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
}

export const dbNameOf = (url: string) => new URL(url).pathname.slice(1);

/**
 * A fully migrated template database, so each contract test gets a fresh copy in ~0.1 s instead of
 * re-running migrations. Returns the template's name; drop it after the file's tests.
 */
export async function migratedTemplate(): Promise<string> {
  const name = uniqueDbName('luna_tpl');
  const url = await createDb(name);
  const s = await openPostgresStore(url, { poolSize: 2, autoMigrate: true });
  await s.close();
  return name;
}

/**
 * Registers a fresh, migrated database and a store on it for the file's tests (dropped afterwards), and
 * hands both to `set` once they exist.
 */
export function useMigratedDb(poolSize: number, set: (url: string, store: PostgresStore) => void): void {
  let url = '';
  let store: PostgresStore | undefined;
  beforeAll(async () => {
    url = await createDb();
    store = await openPostgresStore(url, { poolSize, autoMigrate: true });
    set(url, store);
  }, 60_000);
  afterAll(async () => {
    await store?.close();
    if (url) await dropDb(dbNameOf(url));
  }, 60_000);
}
