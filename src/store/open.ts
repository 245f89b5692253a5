import type { LunaConfig } from '../config/schema.js';
import { NotImplementedError } from '../errors.js';
import type { Store } from './types.js';

/** Opens the store named by the config: SQLite (default, `<home>/luna.db`) or PostgreSQL. Drivers load lazily. */
export async function openStore(
  _db: LunaConfig['database'],
  _home: string,
  _opts: { autoMigrateSqlite?: boolean } = {},
): Promise<Store> {
  throw new NotImplementedError('the store');
}
