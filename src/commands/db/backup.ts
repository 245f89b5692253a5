import { existsSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import type { GlobalOptions } from '../../cli/context.js';
import { printJson, progress } from '../../cli/output.js';
import { DatabaseError, isPgAuthFailure, NotFoundError, PG_AUTH_HINT, UsageError } from '../../errors.js';
import { configuredTarget } from './target.js';
import { placeNewFile } from '../../util/safe-write.js';
import { checkWritableFile } from '../../util/writable-path.js';

export async function run(file: string | undefined, g: GlobalOptions): Promise<void> {
  const target = await configuredTarget(g);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const out = path.resolve(file ?? `luna-backup-${stamp}.${target.dialect === 'sqlite' ? 'db' : 'dump'}`);
  checkWritableFile(out, { what: 'backup', suggestName: 'luna-backup.db', overwrite: false });
  // Opening a missing SQLite file would create an empty database, and back that up.
  if (target.dialect === 'sqlite' && target.file !== ':memory:' && !existsSync(target.file)) {
    throw new NotFoundError(`no database at ${target.file} yet: nothing to back up`, { hint: 'luna init creates it; or point --database-url at the database to back up' });
  }
  const t0 = performance.now();
  // pg_dump creates its file before it connects, and a SQLite backup cut short leaves a partial one: the
  // backup goes to a temp file beside the target and only a complete one takes the target's name.
  const tmp = `${out}.tmp-${process.pid}`;
  const spin = await progress(`backing up ${target.dialect} database to ${out}…`, { json: g.json });
  try {
    if (target.dialect === 'sqlite') {
      if (target.file === ':memory:') throw new UsageError('an in-memory database has nothing to back up');
      const { openSqliteStore } = await import('../../store/sqlite/index.js');
      const store = await openSqliteStore(target.file);
      try {
        await store.backupTo(tmp);
      } finally {
        await store.close();
      }
    } else {
      const { pgDump } = await import('../../store/postgres/dump.js');
      await pgDump(target.url, tmp);
    }
  } catch (err) {
    rmSync(tmp, { force: true });
    spin.fail();
    if (err instanceof DatabaseError && err.hint === undefined) {
      const check = target.dialect === 'postgres' ? (isPgAuthFailure(undefined, err.message) ? PG_AUTH_HINT : 'check the database URL and that the server is up') : 'fix the cause above and retry';
      throw new DatabaseError(err.message, { hint: `${check}; no backup file was written`, cause: err });
    }
    throw err;
  }
  try {
    placeNewFile(tmp, out, 'backup');
  } catch (err) {
    spin.fail();
    throw err;
  }
  spin.stop();
  const bytes = statSync(out).size;
  const ms = Math.round(performance.now() - t0);
  if (g.json) return printJson({ dialect: target.dialect, file: out, bytes, ms });
  process.stdout.write(`backed up ${target.dialect} database to ${out} (${(bytes / 1024 / 1024).toFixed(1)} MiB, ${ms} ms)\n`);
}
