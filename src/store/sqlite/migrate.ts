import { DatabaseError, UsageError } from '../../errors.js';
import { nowIso } from '../ids.js';
import { loadMigrations, schemaAheadError, schemaBehindError, type MigrationFile } from '../migrations/loader.js';
import type { MigrationStatus } from '../types.js';
import { writeTx, type Db } from './connection.js';
import { rebuildDaily } from './ledger-daily.js';

/** Data steps SQL cannot express, run right after a version's up file in its transaction. */
const AFTER_UP: Record<number, (db: Db) => void> = {
  5: rebuildDaily,
};

/** Versioned migrations for SQLite: one transaction per migration, recorded in schema_migrations. */
export class SqliteMigrator {
  private files: MigrationFile[] | undefined;
  constructor(private readonly db: Db) {}

  private migrations(): MigrationFile[] {
    this.files ??= loadMigrations('sqlite');
    return this.files;
  }

  private ensureTable(): void {
    this.db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`);
  }

  private applied(): Map<number, { name: string; appliedAt: string }> {
    const exists = this.db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'`).get();
    if (!exists) return new Map();
    const rows = this.db.prepare('SELECT version, name, applied_at FROM schema_migrations ORDER BY version').all() as {
      version: number; name: string; applied_at: string;
    }[];
    return new Map(rows.map((r) => [r.version, { name: r.name, appliedAt: r.applied_at }]));
  }

  currentVersion(): number {
    return Math.max(0, ...this.applied().keys());
  }

  latestVersion(): number {
    return this.migrations().length;
  }

  status(): MigrationStatus {
    const applied = this.applied();
    const latest = this.latestVersion();
    const migrations = this.migrations().map((m) => ({ version: m.version, name: m.name, appliedAt: applied.get(m.version)?.appliedAt ?? null }));
    // Versions from a newer luna still show, so the operator sees why the database is refused.
    for (const [version, a] of applied) if (version > latest) migrations.push({ version, name: a.name, appliedAt: a.appliedAt });
    return { current: Math.max(0, ...applied.keys()), latest, migrations };
  }

  assertCurrent(): void {
    const current = this.currentVersion();
    const latest = this.latestVersion();
    if (current > latest) throw schemaAheadError(current, latest);
    if (current < latest) throw schemaBehindError(current, latest);
  }

  up(to?: number): number[] {
    const latest = this.latestVersion();
    const target = to ?? latest;
    if (!Number.isInteger(target) || target < 0 || target > latest) {
      throw new UsageError(`cannot migrate up to version ${target}: this luna knows versions 0 to ${latest}`);
    }
    this.ensureTable();
    if (this.currentVersion() > latest) throw schemaAheadError(this.currentVersion(), latest);
    const done: number[] = [];
    for (const m of this.migrations()) {
      if (m.version > target) break;
      const ran = writeTx(this.db, () => {
        // Re-checked under the write lock: two processes migrating at once must not apply a step twice.
        if (this.db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?').get(m.version)) return false;
        this.exec(m, 'up');
        AFTER_UP[m.version]?.(this.db);
        this.db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, nowIso());
        return true;
      });
      if (ran) done.push(m.version);
    }
    return done;
  }

  down(to: number): number[] {
    const latest = this.latestVersion();
    if (!Number.isInteger(to) || to < 0) throw new UsageError(`cannot migrate down to version ${to}: expected a whole number ≥ 0`);
    const current = this.currentVersion();
    if (current > latest) throw schemaAheadError(current, latest);
    const done: number[] = [];
    for (const m of [...this.migrations()].reverse()) {
      if (m.version <= to) break;
      const ran = writeTx(this.db, () => {
        if (!this.db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?').get(m.version)) return false;
        this.exec(m, 'down');
        this.db.prepare('DELETE FROM schema_migrations WHERE version = ?').run(m.version);
        return true;
      });
      if (ran) done.push(m.version);
    }
    return done;
  }

  private exec(m: MigrationFile, dir: 'up' | 'down'): void {
    try {
      this.db.exec(m[dir]);
    } catch (err) {
      throw new DatabaseError(`migration ${m.version}_${m.name} (${dir}) failed: ${(err as Error).message}`, {
        hint: 'the database was left at the previous version',
        cause: err,
      });
    }
  }
}
