import { DatabaseError, UsageError } from '../../errors.js';
import type { MigrationStatus } from '../contract/ops.js';
import type { MigrationStore } from '../contract/roles.js';
import { nowIso } from '../ids.js';
import { loadMigrations, schemaAheadError, schemaBehindError, type MigrationFile } from '../migrations/loader.js';
import type { SqlDialect } from './dialect.js';
import type { Executor } from './executor.js';

/** Where migrations run: reads outside any lock, and a session holding the migration lock whose steps are transactions. */
export interface MigrationTarget {
  readonly owner: Executor;
  /**
   * Runs fn while this process holds the migration lock (PostgreSQL: a session advisory lock on one
   * client; SQLite: none, each step's BEGIN IMMEDIATE takes the write lock and the step re-checks under it).
   */
  withLock<T>(fn: (session: { exec(script: string): Promise<void>; step(fn: (tx: Executor) => Promise<boolean>): Promise<boolean> }) => Promise<T>): Promise<T>;
}

/**
 * Versioned migrations (the same numbers and names in both dialects): one transaction per migration,
 * recorded in schema_migrations. Safe from several processes at once: each step re-checks under the lock.
 */
export class Migrator implements MigrationStore {
  private files: MigrationFile[] | undefined;

  constructor(private readonly d: SqlDialect, private readonly target: MigrationTarget) {}

  private migrations(): MigrationFile[] {
    this.files ??= loadMigrations(this.d.name);
    return this.files;
  }

  latestVersion(): number {
    return this.migrations().length;
  }

  private async has(q: Executor, version: number): Promise<boolean> {
    if (!(await q.get(this.d.migrationsTableSql))) return false;
    return Boolean(await q.get('SELECT 1 AS e FROM schema_migrations WHERE version = ?', [version]));
  }

  private async applied(): Promise<Map<number, { name: string; appliedAt: string }>> {
    const q = this.target.owner;
    if (!(await q.get(this.d.migrationsTableSql))) return new Map();
    const rows = await q.all<{ version: number; name: string; applied_at: string }>('SELECT version, name, applied_at FROM schema_migrations ORDER BY version');
    return new Map(rows.map((r) => [Number(r.version), { name: r.name, appliedAt: r.applied_at }]));
  }

  async currentVersion(): Promise<number> {
    return Math.max(0, ...(await this.applied()).keys());
  }

  async migrationStatus(): Promise<MigrationStatus> {
    const applied = await this.applied();
    const latest = this.latestVersion();
    const migrations = this.migrations().map((m) => ({ version: m.version, name: m.name, appliedAt: applied.get(m.version)?.appliedAt ?? null }));
    // Versions from a newer luna still show, so the operator sees why the database is refused.
    for (const [version, a] of applied) if (version > latest) migrations.push({ version, name: a.name, appliedAt: a.appliedAt });
    return { current: Math.max(0, ...applied.keys()), latest, migrations };
  }

  async assertSchemaCurrent(): Promise<void> {
    const current = await this.currentVersion();
    const latest = this.latestVersion();
    if (current > latest) throw schemaAheadError(current, latest);
    if (current < latest) throw schemaBehindError(current, latest);
  }

  async migrateUp(to?: number): Promise<number[]> {
    const latest = this.latestVersion();
    const target = to ?? latest;
    if (!Number.isInteger(target) || target < 0 || target > latest) {
      throw new UsageError(`cannot migrate up to version ${target}: this luna knows versions 0 to ${latest}`);
    }
    return this.target.withLock(async (s) => {
      await s.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at ${this.d.timestampType} NOT NULL)`);
      const current = await this.currentVersion();
      if (current > latest) throw schemaAheadError(current, latest);
      const done: number[] = [];
      for (const m of this.migrations()) {
        if (m.version > target) break;
        const ran = await s.step(async (q) => {
          // Re-checked under the lock: another process may have applied it while this one waited.
          if (await this.has(q, m.version)) return false;
          await this.apply(q, m, 'up');
          await q.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [m.version, m.name, nowIso()]);
          return true;
        });
        if (ran) done.push(m.version);
      }
      return done;
    });
  }

  async migrateDown(to: number): Promise<number[]> {
    if (!Number.isInteger(to) || to < 0) throw new UsageError(`cannot migrate down to version ${to}: expected a whole number ≥ 0`);
    const latest = this.latestVersion();
    return this.target.withLock(async (s) => {
      const current = await this.currentVersion();
      if (current > latest) throw schemaAheadError(current, latest);
      const done: number[] = [];
      for (const m of [...this.migrations()].reverse()) {
        if (m.version <= to) break;
        const ran = await s.step(async (q) => {
          if (!(await this.has(q, m.version))) return false;
          await this.apply(q, m, 'down');
          await q.run('DELETE FROM schema_migrations WHERE version = ?', [m.version]);
          return true;
        });
        if (ran) done.push(m.version);
      }
      return done;
    });
  }

  /** The migration's SQL, then (up) the data steps SQL cannot express: 5 computes the daily roll-up from the existing ledger. */
  private async apply(q: Executor, m: MigrationFile, dir: 'up' | 'down'): Promise<void> {
    try {
      await q.exec(m[dir]);
      if (dir === 'up' && m.version === 5) await this.d.rebuildDaily(q);
    } catch (err) {
      throw new DatabaseError(`migration ${m.version}_${m.name} (${dir}) failed: ${(err as Error).message}`, {
        hint: 'the database was left at the previous version',
        cause: err,
      });
    }
  }
}
