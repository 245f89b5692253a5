import { existsSync, statSync } from 'node:fs';
import { DatabaseError, NotFoundError, UsageError } from '../../errors.js';
import type { Executor } from '../sql/executor.js';
import { COPY_TABLES, convert, turnLines, type CopyTable } from './copy-tables.js';
import { openPostgresStore } from './index.js';
import { rebuildDailyPg } from './ledger-daily.js';

export interface CopyReport {
  tables: { table: string; rows: number }[];
  totalRows: number;
  ms: number;
}

const BATCH = 2000;

/**
 * Moves every row of a SQLite database into a PostgreSQL one (migrated on the way if needed) in one
 * transaction, keeping ids and the turn tree. The target must hold no stories, ledger rows or jobs yet.
 * Row counts are verified per table before committing; any mismatch rolls everything back.
 */
export async function copySqliteToPostgres(sqliteFile: string, pgUrl: string, onProgress: (table: string, done: number, total: number) => void = () => undefined): Promise<CopyReport> {
  const t0 = performance.now();
  assertSourceExists(sqliteFile);
  const { openSqliteStore } = await import('../sqlite/index.js');
  const src = await openSqliteStore(sqliteFile);
  const dst = await openPostgresStore(pgUrl, { poolSize: 2 }).catch(async (err: unknown) => {
    await src.close();
    throw err;
  });
  try {
    await src.assertSchemaCurrent().catch((err: unknown) => {
      throw new DatabaseError(`source ${sqliteFile} is not at the current schema: ${(err as Error).message}`, { hint: `migrate it first: luna --database-url sqlite:${sqliteFile} migrate up` });
    });
    const version = (await src.migrationStatus()).current;
    if ((await dst.migrator.currentVersion()) < dst.migrator.latestVersion()) await dst.migrateUp();
    await dst.assertSchemaCurrent();
    return await dst.db.transaction(async (q) => {
      const busy = await q.get(`SELECT (SELECT count(*) FROM stories) + (SELECT count(*) FROM ledger) + (SELECT count(*) FROM jobs) AS n`);
      if (Number(busy?.n) > 0) {
        throw new UsageError('the target PostgreSQL database already holds stories, ledger rows or jobs', { hint: 'copy into a fresh database (createdb, then luna db copy)' });
      }
      const tables: CopyReport['tables'] = [];
      for (const spec of COPY_TABLES) {
        if (spec.since !== undefined && version < spec.since) continue;
        const total = Number((src.db.prepare(`SELECT count(*) FROM (${spec.select})`).pluck().get()));
        let done = 0;
        let batch: unknown[][] = [];
        const flush = async () => {
          if (!batch.length) return;
          await q.insertMany(spec.table, spec.cols, batch, spec.conflict);
          done += batch.length;
          batch = [];
          onProgress(spec.table, done, total);
        };
        onProgress(spec.table, 0, total);
        const derive = spec.table === 'turns' ? withLines() : (r: unknown[]) => r;
        for (const row of src.db.prepare(spec.select).raw().iterate() as Iterable<unknown[]>) {
          batch.push(derive(row.map((v, i) => convert(spec.cols[i]![1], v))));
          if (batch.length >= BATCH) await flush();
        }
        await flush();
        await verify(q, spec, total, sqliteFile);
        tables.push({ table: spec.table, rows: total });
      }
      // Rows came in as they were, not through insertLedgerRows: the daily roll-up is computed once at the end.
      await rebuildDailyPg(q);
      return { tables, totalRows: tables.reduce((n, t) => n + t.rows, 0), ms: Math.round(performance.now() - t0) };
    }, 'copying rows');
  } finally {
    await src.close();
    await dst.close();
  }
}

/** Opening a SQLite path creates the file (and its folder): a copy source that is not there must stay not there. */
function assertSourceExists(file: string): void {
  if (!existsSync(file)) {
    throw new NotFoundError(`no SQLite database at ${file}`, { hint: 'check the --from path; a home install keeps its database in ~/.luna/luna.db ($LUNA_HOME/luna.db)' });
  }
  if (!statSync(file).isFile()) {
    throw new UsageError(`${file} is a folder, not a SQLite database file`, { hint: 'name the database file itself, e.g. ~/.luna/luna.db' });
  }
}

/** `line` and `branch_chars` are not in SQLite: appended to each turn row (id, account, story, parent, depth, action, prose, …) in seq order. */
function withLines(): (row: unknown[]) => unknown[] {
  const lines = turnLines();
  return (row) => {
    const { line, size } = lines(row[0] as string, row[3] as string | null, row[5] as string, row[6] as string);
    return [...row, line, size];
  };
}

async function verify(q: Executor, spec: CopyTable, expected: number, from: string): Promise<void> {
  // accounts and burst instances may already exist in the target (the default account at least).
  const n = Number((await q.get(`SELECT count(*) AS n FROM ${spec.table}`))?.n);
  if (spec.conflict ? n < expected : n !== expected) {
    throw new DatabaseError(`copy check failed for ${spec.table}: ${expected} rows in ${from}, ${n} in PostgreSQL; nothing was committed`);
  }
}
