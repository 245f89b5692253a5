import { accessSync, constants, existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { GlobalOptions } from '../../cli/context.js';
import { printJson, progress } from '../../cli/output.js';
import { UsageError } from '../../errors.js';
import { configuredTarget } from './target.js';

export async function run(file: string | undefined, g: GlobalOptions): Promise<void> {
  const target = await configuredTarget(g);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const out = path.resolve(file ?? `luna-backup-${stamp}.${target.dialect === 'sqlite' ? 'db' : 'dump'}`);
  checkWritable(out);
  const t0 = performance.now();
  const spin = await progress(`backing up ${target.dialect} database to ${out}…`, { json: g.json });
  try {
    if (target.dialect === 'sqlite') {
      if (target.file === ':memory:') throw new UsageError('an in-memory database has nothing to back up');
      const { openSqliteStore } = await import('../../store/sqlite/index.js');
      const store = await openSqliteStore(target.file);
      try {
        await store.backupTo(out);
      } finally {
        await store.close();
      }
    } else {
      const { pgDump } = await import('../../store/postgres/dump.js');
      await pgDump(target.url, out);
    }
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

/** Checked up front: the drivers' own errors (better-sqlite3, pg_dump) neither name the path nor say what to do. */
function checkWritable(out: string): void {
  if (existsSync(out)) {
    if (statSync(out).isDirectory()) {
      throw new UsageError(`backup target ${out} is a folder`, { hint: `name a file inside it, e.g. ${path.join(out, 'luna-backup.db')}` });
    }
    throw new UsageError(`${out} already exists`, { hint: 'choose another file name; backups never overwrite' });
  }
  const dir = path.dirname(out);
  if (!existsSync(dir)) {
    throw new UsageError(`cannot write backup ${out}: folder ${dir} does not exist`, { hint: `create it first (mkdir -p ${dir}) or pick another path` });
  }
  if (!statSync(dir).isDirectory()) {
    throw new UsageError(`cannot write backup ${out}: ${dir} is not a folder`, { hint: 'pick a path inside an existing folder' });
  }
  try {
    accessSync(dir, constants.W_OK);
  } catch {
    throw new UsageError(`cannot write backup ${out}: folder ${dir} is not writable`, { hint: 'pick a folder you can write to' });
  }
}
