import { UsageError } from '../errors.js';

export const TITLE_MAX_CHARS = 200;

const NAMES: Record<number, string> = {
  0x00: 'NUL', 0x07: 'BEL', 0x08: 'backspace', 0x09: 'tab', 0x0a: 'line feed', 0x0b: 'vertical tab', 0x0c: 'form feed',
  0x0d: 'carriage return', 0x1b: 'ESC', 0x7f: 'DEL', 0x85: 'NEL', 0x9b: 'CSI',
};

/** C0 (tab and newline included), DEL and C1: what a terminal obeys rather than prints. */
export function isControlChar(cp: number): boolean {
  return cp <= 0x1f || (cp >= 0x7f && cp <= 0x9f);
}

/** "ESC (U+001B)": the character a message points at, by name where it has a familiar one. */
export function describeControlChar(cp: number): string {
  const u = `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
  const kind = cp >= 0x80 ? 'C1 control' : 'control';
  return NAMES[cp] ? `${kind} character ${NAMES[cp]} (${u})` : `${kind} character ${u}`;
}

/**
 * What is wrong with a story title, or null; it reads after the title's name ("--title is blank…"). A title is printed by `story list`, the picker, exports and
 * the TUI's status bar: an ESC in it would drive the terminal (colours, cursor moves, a cleared screen),
 * a newline would break every one-line listing. Positions count characters from 1.
 */
export function titleProblem(title: string): string | null {
  if (title.trim() === '') return 'is blank: a story needs a title';
  const chars = [...title];
  if (chars.length > TITLE_MAX_CHARS) return `is too long (${chars.length} characters): at most ${TITLE_MAX_CHARS}`;
  for (let i = 0; i < chars.length; i++) {
    const cp = chars[i]!.codePointAt(0)!;
    if (isControlChar(cp)) return `has a ${describeControlChar(cp)} at position ${i + 1}: a title is one line of printable text`;
  }
  return null;
}

/**
 * The one check every way of creating or renaming a story goes through (story new, story import, the
 * TUI): surrounding spaces are dropped, anything else wrong is a usage error (exit 2) saying what and where.
 */
export function checkTitle(raw: string, opts: { label?: string } = {}): string {
  const title = raw.trim();
  const problem = titleProblem(title);
  if (problem) {
    const hint = problem.startsWith('is too long') ? 'shorten it'
      : problem.startsWith('is blank') ? 'e.g. luna story new --title "The Lighthouse" --premise "A keeper finds a stranger on the rocks"'
        : 'type it as plain text: colours, escape sequences and line breaks cannot be part of a title';
    throw new UsageError(`${opts.label ?? 'the title'} ${problem}`, { hint });
  }
  return title;
}
