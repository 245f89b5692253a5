import type { Command } from 'commander';
import { globalOptions } from '../../cli/context.js';

export function registerDb(program: Command): void {
  const db = program.command('db').description('back up, restore and copy the database; check the ledger roll-up');
  db
    .command('backup [file]')
    .description('write a consistent backup (SQLite: online backup API; PostgreSQL: pg_dump -Fc)')
    .action(async (file: string | undefined, _opts, cmd: Command) => (await import('./backup.js')).run(file, globalOptions(cmd)));
  db
    .command('restore <file>')
    .description('replace the database contents with a backup (asks first)')
    .option('-y, --yes', 'do not ask for confirmation')
    .action(async (file: string, opts, cmd: Command) => (await import('./restore.js')).run(file, opts, globalOptions(cmd)));
  db
    .command('copy')
    .description('copy every row from a SQLite database into an empty PostgreSQL database (ids and branches kept)')
    .requiredOption('--from <url>', 'source: sqlite:PATH or a file path')
    .requiredOption('--to <url>', 'target: postgres://…')
    .action(async (opts, cmd: Command) => (await import('./copy.js')).run(opts, globalOptions(cmd)));
  db
    .command('rollup')
    .description('check that the daily ledger roll-up cost reports read matches the ledger (exit 5 if not)')
    .option('--rebuild', 'recompute the roll-up from the ledger first')
    .action(async (opts, cmd: Command) => (await import('./rollup.js')).run(opts, globalOptions(cmd)));
}
