import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { GlobalOptions } from '../../cli/context.js';
import { printJson, progress } from '../../cli/output.js';
import { UsageError } from '../../errors.js';
import { configuredTarget } from './target.js';

export async function run(file: string | undefined, g: GlobalOptions): Promise<void> {
  const target = await configuredTarget(g);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const out = path.resolve(file ?? `luna-backup-${stamp}.${target.dialect === 'sqlite' ? 'db' : 'dump'}`);
  if (existsSync(out)) throw new UsageError(`${out} already exists`, { hint: 'choose another file name; backups never overwrite' });
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
