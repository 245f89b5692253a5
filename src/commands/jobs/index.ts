import type { Command } from 'commander';
import { globalOptions } from '../../cli/context.js';

export function registerJobs(program: Command): void {
  program
    .command('jobs')
    .description('the Dreamer queue: depth per state and recent jobs (failures with their errors)')
    .option('--story <id>', 'only this story')
    .option('--state <state>', 'queued, running, done or failed')
    .option('-n, --limit <n>', 'jobs to list', '20')
    .action(async (opts, cmd: Command) => (await import('./list.js')).run(opts, globalOptions(cmd)));
}
