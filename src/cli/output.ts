import { terminalLine } from '../util/terminal-text.js';
/** Small rendering helpers shared by commands. Heavy modules (cli-table3, ora) load on first use. */

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export async function renderTable(head: string[], rows: (string | number | null | undefined)[][], opts: { align?: ('left' | 'right')[] } = {}): Promise<string> {
  const { default: Table } = await import('cli-table3');
  const noColor = Boolean(process.env.NO_COLOR) || !process.stdout.isTTY;
  const table = new Table({
    head,
    style: { head: noColor ? [] : ['cyan'], border: noColor ? [] : ['grey'] },
    colAligns: opts.align ?? head.map(() => 'left' as const),
  });
  // Cells hold titles, actions and model names from stories and files: their control characters are shown, never obeyed.
  for (const r of rows) table.push(r.map((c) => (c === null || c === undefined ? '' : terminalLine(String(c)))));
  return table.toString();
}

/**
 * How wide output may be: the terminal's width, or $COLUMNS when stdout is not a terminal (as ls does);
 * undefined means no limit (a pipe or a file keeps every column).
 */
export function outputWidth(): number | undefined {
  if (process.stdout.isTTY && process.stdout.columns) return process.stdout.columns;
  const env = Number(process.env.COLUMNS);
  return Number.isInteger(env) && env > 0 ? env : undefined;
}

/** Breaks prose at spaces so no line is wider than width (undefined: as is); continuation lines indent by `indent`. */
export function wrapText(text: string, width: number | undefined, indent = '  '): string {
  if (width === undefined || [...text].length <= width) return text;
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    const next = line ? `${line} ${word}` : word;
    if (line && [...next].length > width) {
      lines.push(line);
      line = `${indent}${word}`;
    } else line = next;
  }
  lines.push(line);
  return lines.join('\n');
}

const ANSI = /\x1b\[[0-9;]*m/g;
const widest = (text: string) => Math.max(0, ...text.split('\n').map((l) => [...l.replace(ANSI, '')].length));

/**
 * A table that fits `width` columns: columns named in dropOrder go, first to last, until it fits (a table
 * wider than the terminal wraps every row into two unreadable lines). Returns the columns dropped, so the
 * caller can say where the full table is (--json, --csv).
 */
export async function renderTableToFit(
  head: string[],
  rows: (string | number | null | undefined)[][],
  opts: { align?: ('left' | 'right')[]; width: number | undefined; dropOrder: string[] },
): Promise<{ text: string; dropped: string[] }> {
  let keep = head.map((_, i) => i);
  const dropped: string[] = [];
  const render = () => renderTable(keep.map((i) => head[i]!), rows.map((r) => keep.map((i) => r[i])), { align: opts.align ? keep.map((i) => opts.align![i]!) : undefined });
  let text = await render();
  for (const name of opts.dropOrder) {
    if (opts.width === undefined || widest(text) <= opts.width) break;
    const i = head.indexOf(name);
    if (i < 0 || !keep.includes(i)) continue;
    keep = keep.filter((k) => k !== i);
    dropped.push(name);
    text = await render();
  }
  return { text, dropped };
}

export async function printTable(head: string[], rows: (string | number | null | undefined)[][], opts: { align?: ('left' | 'right')[] } = {}): Promise<void> {
  process.stdout.write(`${await renderTable(head, rows, opts)}\n`);
}

export interface Progress {
  update(text: string): void;
  succeed(text?: string): void;
  fail(text?: string): void;
  stop(): void;
}

/** An ora spinner on a TTY; silent (or plain stderr lines) otherwise, so pipes and --json stay clean. */
export async function progress(text: string, opts: { json?: boolean } = {}): Promise<Progress> {
  if (opts.json || !process.stderr.isTTY) {
    return { update() {}, succeed() {}, fail() {}, stop() {} };
  }
  const { default: ora } = await import('ora');
  const s = ora({ text, stream: process.stderr }).start();
  return {
    update: (t) => { s.text = t; },
    succeed: (t) => { s.succeed(t); },
    fail: (t) => { s.fail(t); },
    stop: () => { s.stop(); },
  };
}

// formatting lives in util so cost reports and other non-rendering modules can use it
export { formatDuration, formatUsd } from '../util/format.js';
