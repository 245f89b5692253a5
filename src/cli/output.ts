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
  for (const r of rows) table.push(r.map((c) => (c === null || c === undefined ? '' : String(c))));
  return table.toString();
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

export function formatUsd(v: number | null | undefined, digits = 4): string {
  if (v === null || v === undefined) return 'unpriced';
  return `$${v.toFixed(digits)}`;
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${Math.round(s % 60)}s`;
  return `${Math.floor(m / 60)}h${m % 60}m`;
}
