import type pg from 'pg';
import type { Executor } from '../sql/executor.js';
import { Migrator } from '../sql/migrator.js';
import { bind, connect, dbError, PgDb } from './connection.js';
import { pgDialect } from './dialect.js';

/** Arbitrary fixed key for the session-level advisory lock every migrating process takes. */
const MIGRATION_LOCK = 0x6c756e61; // "luna"

/**
 * Migrations for PostgreSQL, always as the connecting (owner) role. Two processes migrating at once
 * serialise on pg_advisory_lock, taken and released on one dedicated client (the only session state LUNA
 * ever uses, so run migrations against the server directly rather than through PgBouncer's transaction pool).
 */
export function pgMigrator(pool: pg.Pool): Migrator {
  return new Migrator(pgDialect, {
    owner: new PgDb(pool, null),
    withLock: async (fn) => {
      const c = await connect(pool);
      let locked = false;
      try {
        await c.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
        locked = true;
        const q = bind(c);
        return await fn({
          exec: (script) => q.exec(script),
          step: async (f: (tx: Executor) => Promise<boolean>) => {
            await c.query('BEGIN');
            try {
              const ran = await f(q);
              await c.query('COMMIT');
              return ran;
            } catch (err) {
              await c.query('ROLLBACK').catch(() => undefined);
              throw err;
            }
          },
        });
      } catch (err) {
        throw dbError(err, 'migrating');
      } finally {
        if (locked) await c.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
        // A client that held a session lock is never handed out again, so no session state can leak.
        c.release(true);
      }
    },
  });
}
