import type { Command } from 'commander';
import { globalOptions } from '../../cli/context.js';

export function registerContext(program: Command): void {
  program
    .command('context <story>')
    .description('the context viewer: what the Strategist and Writer would get for an action (no LLM call)')
    .option('-a, --action <text>', 'the action to curate context for (none: the context of a turn that continues)', '')
    .option('--note <text>', "a one-turn note to place with the Author's Note, as luna turn --note would")
    .option('--full', 'print every section\'s text, not just the summary table')
    .action(async (story: string, opts, cmd: Command) => (await import('./show.js')).run(story, opts, globalOptions(cmd)));
}
