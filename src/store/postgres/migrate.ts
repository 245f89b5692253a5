import type pg from 'pg';
import { DatabaseError, UsageError } from '../../errors.js';
import { nowIso } from '../ids.js';
import { loadMigrations, schemaAheadError, schemaBehindError, type MigrationFile } from '../migrations/loader.js';
import type { MigrationStatus } from '../types.js';
import { bind, dbError } from './connection.js';
import { rebuildDailyPg } from './ledger-daily.js';

/** Data steps SQL cannot express, run right after a version's up file in its transaction. */
const AFTER_UP: Record<number, (q: ReturnType<typeof bind>) => Promise<void>> = {
  5: rebuildDailyPg,
};

/** Arbitrary fixed key for the session-level advisory lock every migrating process takes. */
const MIGRATION_LOCK = 0x6c756e61; // "luna"

/**
 * Versioned migrations for PostgreSQL (same numbers and names as SQLite). Two processes migrating at once
 * serialise on pg_advisory_lock, taken and released on one dedicated client (the only session state LUNA
 * ever uses, so run migrations against the server directly rather than through PgBouncer's transaction pool).
 * Each migration runs in its own transaction with its schema_migrations row.
 */
export class PgMigrator {
  private files: MigrationFile[] | undefined;
  constructor(private readonly pool: pg.Pool) {}

  private migrations(): MigrationFile[] {
    this.files ??= loadMigrations('postgres');
    return this.files;
  }

  latestVersion(): number {
    return this.migrations().length;
  }

  private async applied(): Promise<Map<number, { name: string; appliedAt: string }>> {
    try {
      const exists = await this.pool.query(`SELECT to_regclass('schema_migrations') IS NOT NULL AS e`);
      if (!exists.rows[0]?.e) return new Map();
      const r = await this.pool.query('SELECT version, name, applied_at FROM schema_migrations ORDER BY version');
      return new Map(r.rows.map((x: { version: number; name: string; applied_at: string }) => [x.version, { name: x.name, appliedAt: x.applied_at }]));
    } catch (err) {
      throw dbError(err, 'reading schema_migrations');
    }
  }

  async currentVersion(): Promise<number> {
    return Math.max(0, ...(await this.applied()).keys());
  }

  async status(): Promise<MigrationStatus> {
    const applied = await this.applied();
    const latest = this.latestVersion();
    const migrations = this.migrations().map((m) => ({ version: m.version, name: m.name, appliedAt: applied.get(m.version)?.appliedAt ?? null }));
    for (const [version, a] of applied) if (version > latest) migrations.push({ version, name: a.name, appliedAt: a.appliedAt });
    return { current: Math.max(0, ...applied.keys()), latest, migrations };
  }

  async assertCurrent(): Promise<void> {
    const current = await this.currentVersion();
    const latest = this.latestVersion();
    if (current > latest) throw schemaAheadError(current, latest);
    if (current < latest) throw schemaBehindError(current, latest);
  }

  async up(to?: number): Promise<number[]> {
    const latest = this.latestVersion();
    const target = to ?? latest;
    if (!Number.isInteger(target) || target < 0 || target > latest) {
      throw new UsageError(`cannot migrate up to version ${target}: this luna knows versions 0 to ${latest}`);
    }
    return this.locked(async (c) => {
      await c.query(`CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL)`);
      const current = await this.currentVersion();
      if (current > latest) throw schemaAheadError(current, latest);
      const done: number[] = [];
      for (const m of this.migrations()) {
        if (m.version > target) break;
        // Re-checked under the lock: another process may have applied it while this one waited.
        const has = await c.query('SELECT 1 FROM schema_migrations WHERE version = $1', [m.version]);
        if (has.rowCount) continue;
        await this.apply(c, m, 'up', async () => {
          await c.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [m.version, m.name, nowIso()]);
        });
        done.push(m.version);
      }
      return done;
    });
  }

  async down(to: number): Promise<number[]> {
    if (!Number.isInteger(to) || to < 0) throw new UsageError(`cannot migrate down to version ${to}: expected a whole number ≥ 0`);
    const latest = this.latestVersion();
    return this.locked(async (c) => {
      const current = await this.currentVersion();
      if (current > latest) throw schemaAheadError(current, latest);
      const done: number[] = [];
      for (const m of [...this.migrations()].reverse()) {
        if (m.version <= to) break;
        const has = await c.query(`SELECT to_regclass('schema_migrations') IS NOT NULL AND EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1) AS h`, [m.version]).catch(() => null);
        if (!has?.rows[0]?.h) continue;
        await this.apply(c, m, 'down', async () => {
          await c.query('DELETE FROM schema_migrations WHERE version = $1', [m.version]);
        });
        done.push(m.version);
      }
      return done;
    });
  }

  private async locked<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    let c: pg.PoolClient;
    try {
      c = await this.pool.connect();
    } catch (err) {
      throw dbError(err, 'connect');
    }
    let locked = false;
    try {
      await c.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
      locked = true;
      return await fn(c);
    } catch (err) {
      throw dbError(err, 'migrating');
    } finally {
      if (locked) await c.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
      // A client that held a session lock is never handed out again, so no session state can leak.
      c.release(true);
    }
  }

  private async apply(c: pg.PoolClient, m: MigrationFile, dir: 'up' | 'down', record: () => Promise<void>): Promise<void> {
    try {
      await c.query('BEGIN');
      // Simple-protocol multi-statement text: migration files are trusted SQL shipped with luna.
      await c.query(m[dir]);
      if (dir === 'up') await AFTER_UP[m.version]?.(bind(c));
      await record();
      await c.query('COMMIT');
    } catch (err) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw new DatabaseError(`migration ${m.version}_${m.name} (${dir}) failed: ${(err as Error).message}`, {
        hint: 'the database was left at the previous version',
        cause: err,
      });
    }
  }
}
