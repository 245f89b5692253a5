import Database from 'better-sqlite3';
import path from 'node:path';
import * as sqliteVec from 'sqlite-vec';
import { DatabaseError } from '../../errors.js';
import { ensureDir } from '../../util/ensure-dir.js';

export type Db = Database.Database;

/** Opens (creating if needed) a SQLite file tuned for one writer plus many readers across processes. */
export function openSqliteDb(file: string): Db {
  if (file !== ':memory:') ensureDir(path.dirname(file), { what: 'database folder' });
  let db: Db;
  try {
    db = new Database(file);
  } catch (err) {
    throw new DatabaseError(`cannot open SQLite database ${file}: ${(err as Error).message}`, {
      hint: 'check the path and its permissions',
      cause: err,
    });
  }
  try {
    // Several `luna dream` workers and the CLI share one file; wait for the lock instead of failing.
    // Set first: switching a fresh file to WAL takes a lock that a second process starting now would hit.
    db.pragma('busy_timeout = 5000');
    db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    db.pragma('synchronous = NORMAL');
    // 32 MiB page cache (default 2 MiB): ledger inserts and report scans touch far more than that.
    db.pragma('cache_size = -32768');
    sqliteVec.load(db);
    cacheStatements(db);
  } catch (err) {
    db.close();
    throw new DatabaseError(`cannot prepare SQLite database ${file}: ${(err as Error).message}`, { cause: err });
  }
  return db;
}

/**
 * Memoises `db.prepare` per SQL text: compiling a statement costs more than running most of ours, and the
 * store prepares at each call site. A reused statement is reset to plain row objects first, so a call site
 * that asked for `.pluck()` or `.raw()` cannot leak that mode to another using the same SQL.
 */
function cacheStatements(db: Db): void {
  const prepare = db.prepare.bind(db);
  const cache = new Map<string, Database.Statement>();
  (db as { prepare: (sql: string) => Database.Statement }).prepare = (sql: string) => {
    let stmt = cache.get(sql);
    if (!stmt) {
      stmt = prepare(sql);
      if (cache.size >= 500) cache.delete(cache.keys().next().value as string);
      cache.set(sql, stmt);
    } else if (stmt.reader) {
      stmt.pluck(false).raw(false).expand(false);
    }
    return stmt;
  };
}
