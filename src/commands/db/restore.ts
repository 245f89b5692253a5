import { existsSync } from 'node:fs';
import path from 'node:path';
import type { GlobalOptions } from '../../cli/context.js';
import { printJson, progress } from '../../cli/output.js';
import { requireConfirmation } from '../../cli/prompt.js';
import { NotFoundError } from '../../errors.js';
import { redactSecrets } from '../../errors.js';
import { configuredTarget } from './target.js';

export async function run(file: string, opts: { yes?: boolean }, g: GlobalOptions): Promise<void> {
  const source = path.resolve(file);
  if (!existsSync(source)) throw new NotFoundError(`backup file ${source} not found`);
  const target = await configuredTarget(g);
  const where = target.dialect === 'sqlite' ? target.file : redactSecrets(target.url);
  await requireConfirmation({ yes: opts.yes, question: `Replace everything in ${where} with ${source}?`, refusing: 'overwrite the database', declined: 'restore cancelled' });
  const t0 = performance.now();
  const spin = await progress(`restoring ${source} into ${where}…`, { json: g.json });
  try {
    if (target.dialect === 'sqlite') {
      const { restoreSqlite } = await import('../../store/sqlite/backup.js');
      await restoreSqlite(target.file, source);
    } else {
      const { pgRestore } = await import('../../store/postgres/dump.js');
      await pgRestore(target.url, source);
    }
  } catch (err) {
    spin.fail();
    throw err;
  }
  spin.stop();
  const ms = Math.round(performance.now() - t0);
  if (g.json) return printJson({ dialect: target.dialect, file: source, ms });
  process.stdout.write(`restored ${source} into the ${target.dialect} database (${ms} ms)\n`);
}
