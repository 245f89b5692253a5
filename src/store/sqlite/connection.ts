import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import * as sqliteVec from 'sqlite-vec';
import { DatabaseError } from '../../errors.js';

export type Db = Database.Database;

/** Opens (creating if needed) a SQLite file tuned for one writer plus many readers across processes. */
export function openSqliteDb(file: string): Db {
  if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
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
  } catch (err) {
    db.close();
    throw new DatabaseError(`cannot prepare SQLite database ${file}: ${(err as Error).message}`, { cause: err });
  }
  return db;
}

/**
 * Runs fn in a write transaction that takes the write lock up front (BEGIN IMMEDIATE), so a
 * read-then-write (head check, job claim) cannot interleave with another process's write.
 */
export function writeTx<T>(db: Db, fn: () => T): T {
  return db.transaction(fn).immediate();
}
