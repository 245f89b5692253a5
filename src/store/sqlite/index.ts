import type { Executor } from '../sql/executor.js';
import { sqlContext } from '../sql/context.js';
import { Migrator } from '../sql/migrator.js';
import { SqlStore } from '../sql/store.js';
import { openSqliteDb, type Db } from './connection.js';
import { sqliteDialect } from './dialect.js';
import { SqliteDb } from './executor.js';
import { SqliteLedgerRole } from './ledger.js';
import { SqliteMemory } from './memory.js';

/**
 * The embedded Store: the shared SQL layer over one better-sqlite3 connection (synchronous; SqliteDb makes
 * it async and keeps its transactions from interleaving), with SQLite's own search and ledger aggregation.
 */
export class SqliteStore extends SqlStore {
  readonly dialect = 'sqlite' as const;
  readonly migrator: Migrator;
  private closed = false;

  constructor(readonly db: Db, readonly file: string) {
    const sdb = new SqliteDb(db);
    const d = sqliteDialect(db);
    const ctx = sqlContext(sdb, d);
    const migrator = new Migrator(d, {
      owner: sdb,
      withLock: (fn) => fn({ exec: (script) => sdb.exec(script), step: (f: (tx: Executor) => Promise<boolean>) => sdb.transaction(f) }),
    });
    super(ctx, { migrations: migrator, memory: new SqliteMemory(ctx), ledger: new SqliteLedgerRole(ctx, db) });
    this.migrator = migrator;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }

  /** Online backup (SQLite backup API): a consistent copy while other processes keep writing. */
  async backupTo(file: string): Promise<void> {
    await this.db.backup(file);
  }
}

/** Opens a SQLite store; with autoMigrate a new or older database is brought up to date (never a newer one). */
export async function openSqliteStore(file: string, opts: { autoMigrate?: boolean } = {}): Promise<SqliteStore> {
  const store = new SqliteStore(openSqliteDb(file), file);
  try {
    if (opts.autoMigrate) {
      const m = store.migrator;
      if ((await m.currentVersion()) < m.latestVersion()) await m.migrateUp();
    }
  } catch (err) {
    await store.close();
    throw err;
  }
  return store;
}
