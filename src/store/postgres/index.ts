import type pg from 'pg';
import { sqlContext } from '../sql/context.js';
import type { Migrator } from '../sql/migrator.js';
import { SqlStore } from '../sql/store.js';
import { createPool, PgDb } from './connection.js';
import { pgDialect } from './dialect.js';
import { PgLedger } from './ledger.js';
import { PgMemory } from './memory.js';
import { PgStories } from './stories.js';
import { pgMigrator } from './migrate.js';
import { PgTurns } from './turns.js';

export interface PostgresStoreOptions {
  poolSize?: number;
  /**
   * Scope every statement to this account: each transaction switches to the non-owner role (`role`,
   * default luna_app) and sets luna.account_id, so row-level security in the database hides other accounts.
   */
  accountId?: string;
  role?: string;
  /** Apply pending migrations at open (tests, first-run tools); the CLI migrates explicitly. */
  autoMigrate?: boolean;
}

/**
 * The PostgreSQL Store: the shared SQL layer on a `pg` pool, with PostgreSQL's search, aggregation and
 * batched getTurn. An unscoped store runs as the connecting (owner) role and sees every account;
 * `forAccount(id)` returns a store sharing the pool whose every transaction is confined to that account
 * by the database itself.
 */
export class PostgresStore extends SqlStore {
  readonly dialect = 'postgres' as const;
  readonly migrator: Migrator;
  readonly db: PgDb;
  private closed = false;

  constructor(readonly pool: pg.Pool, readonly accountId: string | null, private readonly ownsPool: boolean, readonly role = 'luna_app', private readonly pgvector = false) {
    const db = new PgDb(pool, accountId, role);
    const ctx = sqlContext(db, pgDialect);
    const migrator = pgMigrator(pool);
    super(ctx, { migrations: migrator, memory: new PgMemory(ctx, db, pgvector), ledger: new PgLedger(db), turns: new PgTurns(ctx, db), stories: new PgStories(ctx, db) });
    this.db = db;
    this.migrator = migrator;
  }

  /** A store confined to one account by row-level security, sharing this store's pool (close it first or last; only the opener ends the pool). */
  forAccount(accountId: string): PostgresStore {
    return new PostgresStore(this.pool, accountId, false, this.role, this.pgvector);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.ownsPool) await this.pool.end();
  }
}

/**
 * Opens a pool on `url` (nothing connects until the first query). pgvector is detected once here:
 * similarity search uses it when the extension is installed, else plain SQL over real[].
 */
export async function openPostgresStore(url: string, opts: PostgresStoreOptions = {}): Promise<PostgresStore> {
  const pool = createPool(url, opts.poolSize ?? 10);
  try {
    let pgvector = false;
    if (opts.autoMigrate) {
      const m = pgMigrator(pool);
      if ((await m.currentVersion()) < m.latestVersion()) await m.migrateUp();
    }
    if (opts.accountId === undefined || opts.autoMigrate) {
      const r = await pool.query(`SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'vector') AS v`).catch(() => null);
      pgvector = Boolean(r?.rows[0]?.v);
    }
    return new PostgresStore(pool, opts.accountId ?? null, true, opts.role ?? 'luna_app', pgvector);
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw err;
  }
}
