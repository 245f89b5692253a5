import type { GlobalOptions } from '../../cli/context.js';
import { printJson, progress } from '../../cli/output.js';
import { UsageError } from '../../errors.js';
import { pluralWord, plural } from '../../util/plural.js';

export async function run(opts: { from: string; to: string }, g: GlobalOptions): Promise<void> {
  const { resolveStoreTarget } = await import('../../store/open.js');
  const from = resolveStoreTarget(opts.from, process.cwd());
  const to = resolveStoreTarget(opts.to, process.cwd());
  if (from.dialect !== 'sqlite' || from.file === ':memory:') throw new UsageError('--from must be a SQLite database file (sqlite:PATH or a path)');
  if (to.dialect !== 'postgres') throw new UsageError('--to must be a PostgreSQL URL (postgres://…)');
  const spin = await progress('copying…', { json: g.json });
  const { copySqliteToPostgres } = await import('../../store/postgres/copy.js');
  let report;
  try {
    report = await copySqliteToPostgres(from.file, to.url, (table, done, total) => spin.update(`copying ${table}: ${done.toLocaleString()} / ${total.toLocaleString()} rows`));
  } catch (err) {
    spin.fail();
    throw err;
  }
  spin.stop();
  if (g.json) return printJson(report);
  for (const t of report.tables) process.stdout.write(`${t.table.padEnd(16)} ${String(t.rows).padStart(10)} ${pluralWord(t.rows, 'row')}\n`);
  process.stdout.write(`copied ${plural(report.totalRows, 'row')} in ${report.ms} ms; counts verified\n`);
}
