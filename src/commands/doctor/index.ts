import type { Command } from 'commander';
import { globalOptions } from '../../cli/context.js';

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description('check node, data dir, config, database, model endpoints and GPUs; prints fixes')
    .option('--no-models', 'skip pinging model endpoints')
    .action(async (opts, cmd: Command) => (await import('./run.js')).run(opts, globalOptions(cmd)));
}
