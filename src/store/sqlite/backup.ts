import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { DatabaseError, NotFoundError } from '../../errors.js';

/**
 * Restores `source` (a `luna db backup` file) into the live database `file` through SQLite's backup API,
 * page by page under SQLite's locks, so other connections see the old or the new database, never a mix.
 */
export async function restoreSqlite(file: string, source: string): Promise<void> {
  if (!existsSync(source)) throw new NotFoundError(`backup file ${source} not found`);
  let src: Database.Database;
  try {
    src = new Database(source, { readonly: true, fileMustExist: true });
    src.prepare('SELECT count(*) FROM schema_migrations').get();
  } catch (err) {
    throw new DatabaseError(`${source} is not a LUNA SQLite backup: ${(err as Error).message}`, { cause: err });
  }
  try {
    await src.backup(file);
  } finally {
    src.close();
  }
}
