import type { Command } from 'commander';
import { globalOptions } from '../../cli/context.js';
import { turnMode, type TurnFlags } from './flags.js';

export function registerTurn(program: Command): void {
  program
    .command('turn <story> [action...]')
    .description('play one turn: streams the prose to stdout (--json prints the whole turn)')
    .option('--continue', 'the Writer goes on from where the story stands, without a new action')
    .option('--note <text>', 'a note for this turn only, placed with the Author\'s Note (luna story note)')
    .option('--ooc <text>', 'an out-of-character instruction to the Strategist for this turn (shapes the plan; not an action); alone it continues the story')
    .option('--undo', 'step back: move the story head to the previous turn (the undone turn stays as a branch)')
    .option('--retry', 'another take of the last turn (or of --at TURN) as a sibling branch; reuses its action unless you give one')
    .option('--at <turn>', 'the turn --retry, --takes and --take work on (an id, a unique prefix, or its number on the current branch; default: the last turn)')
    .option('--takes', 'list the takes (sibling versions) of the last turn or of --at TURN')
    .option('--take <n>', 'switch the story to take N of the last turn or of --at TURN')
    .option('--edit [turn]', 'replace the prose of a turn (default: the last) with --text or stdin')
    .option('--text <prose>', 'the new prose for --edit')
    .option('--from <turn>', 'branch from an earlier turn (its id; "root" for the very start)')
    .option('--to <turn>', 'switch the story head to this turn (switch branch) without playing')
    .option('--quiet', 'no stage lines on stderr')
    .option('--no-dream', 'do not run queued Dreamer jobs after the turn (leave them to `luna dream`)')
    .action(async (story: string, words: string[], opts: TurnFlags, cmd: Command) => {
      const action = words.join(' ');
      const g = globalOptions(cmd);
      const mode = turnMode(opts, action);
      if (mode === 'move') return (await import('./move.js')).run(story, opts, g);
      if (mode === 'edit') return (await import('./edit.js')).run(story, opts, g);
      if (mode === 'takes' || mode === 'take') return (await import('./takes.js')).run(story, opts, g);
      return (await import('./run.js')).run(story, action, opts, g);
    });
}
