import type { Command } from 'commander';
import { globalOptions } from '../../cli/context.js';

export function registerTurn(program: Command): void {
  program
    .command('turn <story> [action...]')
    .description('play one turn: streams the prose to stdout (--json prints the whole turn)')
    .option('--undo', 'step back: move the story head to the previous turn (the undone turn stays as a branch)')
    .option('--retry', 'another take of the last turn (a new sibling branch); reuses its action unless you give one')
    .option('--from <turn>', 'branch from an earlier turn (its id; "root" for the very start)')
    .option('--to <turn>', 'switch the story head to this turn (switch branch) without playing')
    .option('--quiet', 'no stage lines on stderr')
    .option('--no-dream', 'do not run queued Dreamer jobs after the turn (leave them to `luna dream`)')
    .action(async (story: string, action: string[], opts, cmd: Command) => (await import('./run.js')).run(story, action.join(' '), opts, globalOptions(cmd)));
}
