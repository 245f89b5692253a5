/** Slash commands of the input line: names, help text, parsing and Tab completion. Pure. */

export const SLASH_COMMANDS = {
  undo: 'step back one turn (the undone turn stays as a branch)',
  retry: 'another take of the last turn; /retry D retakes turn D of this branch (the old take stays)',
  takes: 'the takes of the last turn; /takes N switches to take N; /takes at D [N] for turn D',
  continue: 'let the story go on without an action',
  ooc: 'an out-of-character instruction to the Strategist: /ooc TEXT plays a turn that goes on, steered by it',
  note: "the Author's Note: /note TEXT sets it, /note clear removes it, /note alone shows it",
  edit: "edit the last turn's prose in the input line (Enter saves; an empty line keeps it as it was)",
  branch: 'list branches; /branch N switches to branch N; /branch from D continues from turn D',
  context: 'what the next turn will see: sections and token counts (/context ACTION for that action)',
  memory: 'entity sheets with current facts, and arc summaries',
  lore: 'the lore and what triggers it now; /lore add Title: text, /lore on|off|rm N',
  entity: 'the entities; /entity NAME shows one with its facts and their history; /entity add|rm NAME',
  fact: 'correct memory: /fact ENTITY KEY VALUE, /fact rm ENTITY KEY',
  review: 'memory changes waiting for review; /review accept|reject N… | all',
  cost: "this session's and this story's spend per agent",
  jobs: "the Dreamer's queue",
  image: "the newest turn's picture (/image N for turn N): inline where the terminal can show it, else its path",
  export: 'write the story as JSON and Markdown into the data dir',
  help: 'keys and commands',
  quit: 'leave (Ctrl-D also quits)',
} as const;

export type SlashName = keyof typeof SLASH_COMMANDS;

export type ParsedInput =
  | { kind: 'empty' }
  | { kind: 'action'; text: string }
  | { kind: 'command'; name: SlashName; args: string[] }
  | { kind: 'unknown-command'; name: string; suggestions: SlashName[] };

const NAMES = Object.keys(SLASH_COMMANDS) as SlashName[];

export function parseInput(raw: string): ParsedInput {
  const text = raw.trim();
  if (!text) return { kind: 'empty' };
  // "//" escapes a leading slash so an action can start with one.
  if (text.startsWith('//')) return { kind: 'action', text: text.slice(1) };
  if (!text.startsWith('/')) return { kind: 'action', text };
  const [head = '', ...args] = text.slice(1).split(/\s+/);
  const name = head.toLowerCase();
  if ((NAMES as string[]).includes(name)) return { kind: 'command', name: name as SlashName, args };
  const byPrefix = NAMES.filter((n) => n.startsWith(name));
  if (byPrefix.length === 1 && name.length > 0) return { kind: 'command', name: byPrefix[0]!, args };
  return { kind: 'unknown-command', name, suggestions: byPrefix.length ? byPrefix : NAMES };
}

/** Tab: completes a unique command (adding a space), or the longest common prefix; lists candidates. */
export function completeInput(raw: string): { text: string; candidates: SlashName[] } {
  if (!raw.startsWith('/') || /\s/.test(raw)) return { text: raw, candidates: [] };
  const prefix = raw.slice(1).toLowerCase();
  const matches = NAMES.filter((n) => n.startsWith(prefix));
  if (matches.length === 0) return { text: raw, candidates: [] };
  if (matches.length === 1) return { text: `/${matches[0]} `, candidates: matches };
  let common: string = matches[0]!;
  for (const m of matches) while (!m.startsWith(common)) common = common.slice(0, -1);
  return { text: `/${common.length > prefix.length ? common : prefix}`, candidates: matches };
}

export function helpLines(): string[] {
  return [
    'Commands',
    ...NAMES.map((n) => `  /${n.padEnd(9)} ${SLASH_COMMANDS[n]}`),
    '',
    'Keys',
    '  Enter            play the action',
    '  Alt+Enter, \\     new line (end a line with a backslash)',
    '  ↑ / ↓            input history',
    '  Tab              complete a /command',
    '  PageUp/PageDown  scroll the story (mouse wheel too); End jumps to the newest',
    '  Ctrl-T or F2     side panel',
    '  Esc / Ctrl-C     cancel the running turn (your action comes back); Esc closes a panel',
    '  Ctrl-C twice     quit at an empty prompt; Ctrl-D quits',
  ];
}
