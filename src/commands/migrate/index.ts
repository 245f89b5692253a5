import type { Command } from 'commander';
import { globalOptions } from '../../cli/context.js';

export function registerMigrate(program: Command): void {
  const migrate = program.command('migrate').description('show or change the database schema version');
  migrate
    .command('up')
    .description('apply pending migrations (all, or up to --to)')
    .option('--to <version>', 'stop at this version')
    .action(async (opts, cmd: Command) => (await import('./up.js')).run(opts, globalOptions(cmd)));
  migrate
    .command('status')
    .description('list migrations with the current and latest version')
    .action(async (_opts, cmd: Command) => (await import('./status.js')).run(globalOptions(cmd)));
  migrate
    .command('down')
    .description('roll back migrations down to --to (destroys the data those versions hold)')
    .requiredOption('--to <version>', 'version to end at (0 = empty database)')
    .option('-y, --yes', 'do not ask for confirmation')
    .action(async (opts, cmd: Command) => (await import('./down.js')).run(opts, globalOptions(cmd)));
}
