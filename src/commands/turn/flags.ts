import { UsageError } from '../../errors.js';

/** Every flag of `luna turn`, as commander hands them over. */
export interface TurnFlags {
  undo?: boolean;
  retry?: boolean;
  from?: string;
  to?: string;
  /** --continue: the Writer goes on without a new action. */
  continue?: boolean;
  note?: string;
  ooc?: string;
  /** --at TURN: the turn --retry, --takes and --take work on (default: the head). */
  at?: string;
  /** --edit [TURN]: true without a turn (the head). */
  edit?: boolean | string;
  text?: string;
  takes?: boolean;
  take?: string;
  quiet?: boolean;
  /** false with --no-dream: leave queued Dreamer jobs to `luna dream` workers. */
  dream?: boolean;
}

export type TurnMode = 'play' | 'move' | 'edit' | 'takes' | 'take';

/**
 * Which of `luna turn`'s jobs a command line asks for, refusing combinations that would be ambiguous:
 * one line and a hint, before the store or any model is touched.
 */
export function turnMode(f: TurnFlags, action: string): TurnMode {
  const given = (name: string, v: unknown) => (v === undefined || v === false ? [] : [name]);
  const exclusive = [
    ...given('--undo', f.undo), ...given('--to', f.to), ...given('--edit', f.edit), ...given('--takes', f.takes), ...given('--take', f.take),
    ...given('--retry', f.retry), ...given('--from', f.from), ...given('--continue', f.continue),
  ];
  if (exclusive.length > 1) throw new UsageError(`use only one of ${exclusive.join(', ')}`, { hint: 'luna turn --help lists what each does' });
  const mode: TurnMode = f.undo || f.to !== undefined ? 'move' : f.edit !== undefined && f.edit !== false ? 'edit' : f.takes ? 'takes' : f.take !== undefined ? 'take' : 'play';
  if (f.at !== undefined && !(f.retry || mode === 'takes' || mode === 'take')) {
    throw new UsageError('--at goes with --retry, --takes or --take', { hint: 'luna turn ID --takes --at TURN lists the takes of that turn' });
  }
  if (f.text !== undefined && mode !== 'edit') throw new UsageError('--text goes with --edit', { hint: 'luna turn ID --edit [TURN] --text "new prose"' });
  if (mode !== 'play') {
    const steering = [...given('--note', f.note), ...given('--ooc', f.ooc)];
    if (steering.length) throw new UsageError(`${steering.join(' and ')} only go with playing a turn`, { hint: 'drop them, or play a turn with them' });
    if (action.trim()) throw new UsageError(`an action does not go with ${exclusive[0]}`, { hint: 'play it as its own turn: luna turn ID "action"' });
  }
  if (f.continue && action.trim()) throw new UsageError('--continue takes no action', { hint: 'drop the action (the Writer goes on by itself), or drop --continue' });
  return mode;
}
