import type { SqlDialect } from './dialect.js';
import type { SqlDb } from './executor.js';
import { rowMappers, type RowMappers } from './rows.js';

/** What every shared area module works with: the database, its dialect, and the row mappers for that dialect. */
export interface SqlContext {
  readonly db: SqlDb;
  readonly d: SqlDialect;
  readonly rows: RowMappers;
}

export function sqlContext(db: SqlDb, d: SqlDialect): SqlContext {
  return { db, d, rows: rowMappers(d) };
}
