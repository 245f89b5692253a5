import { terminalLine, terminalText } from '../util/terminal-text.js';
import { ExitCode, LunaError, isAbortError, redactSecrets } from '../errors.js';
import { describeFsError, fsFailureKind } from '../util/fs-errors.js';
import type { Command } from 'commander';
import { buildProgram } from './program.js';

/** The only place that prints errors and chooses the exit code. */
export async function main(argv: string[] = process.argv): Promise<number> {
  const debug = argv.includes('--debug') || process.env.LUNA_DEBUG === '1';
  const json = argv.includes('--json');
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : ExitCode.ok;
  } catch (err) {
    const code = (err as { code?: unknown })?.code;
    // commander printed the usage error; the hint says where the right form is.
    if (typeof code === 'string' && code.startsWith('commander.') && !NOT_ERRORS.has(code)) process.stderr.write(`hint: ${usageHint(program, argv)}\n`);
    return reportError(err, { debug, json });
  }
}

const NOT_ERRORS = new Set(['commander.helpDisplayed', 'commander.version', 'commander.help']);

/** "luna entity add --help shows its arguments and options", for the deepest command the words name. */
function usageHint(program: Command, argv: string[]): string {
  const path: string[] = [];
  let cmd = program;
  for (const word of argv.slice(2)) {
    const next = word.startsWith('-') ? undefined : cmd.commands.find((c) => c.name() === word || c.aliases().includes(word));
    if (!next) continue;
    path.push(next.name());
    cmd = next;
  }
  return path.length ? `luna ${path.join(' ')} --help shows its arguments and options` : 'luna --help lists the commands';
}

export function reportError(err: unknown, opts: { debug: boolean; json: boolean }): number {
  const e = err as { code?: string; exitCode?: number; message?: string };
  // commander's own exits (help, version, usage errors) have already printed their text.
  if (typeof e?.code === 'string' && e.code.startsWith('commander.')) {
    if (NOT_ERRORS.has(e.code)) return ExitCode.ok;
    return ExitCode.usage;
  }
  let code: number = ExitCode.failure;
  let message: string;
  let hint: string | undefined;
  if (err instanceof LunaError) {
    code = err.exitCode;
    message = err.message;
    hint = err.hint;
  } else if (isAbortError(err)) {
    code = ExitCode.cancelled;
    message = 'cancelled';
  } else if (isMachineFsError(err)) {
    // Disk full, read-only or locked-down storage reached a path no command mapped: still the machine, not a bug.
    const e = err as NodeJS.ErrnoException;
    const d = describeFsError(e, e.path ?? process.cwd());
    code = ExitCode.database;
    message = `${e.syscall ?? 'write'} ${e.path ?? ''}: ${d.reason}`.replace('  ', ' ');
    hint = d.hint;
  } else {
    message = err instanceof Error ? err.message : String(err);
    hint = 'this looks like a bug in luna; re-run with --debug and report it';
  }
  message = redactSecrets(message);
  if (opts.json) {
    process.stderr.write(`${JSON.stringify({ error: { message, hint: hint ?? null, exitCode: code } })}\n`);
  } else {
    // A server's error text or a story's title can carry escape sequences: show them, never let them act.
    // Some messages are several lines on purpose (a daemon's last log lines): keep those newlines.
    process.stderr.write(`luna: ${terminalText(message)}\n`);
    if (hint) process.stderr.write(`hint: ${terminalLine(hint)}\n`);
  }
  if (opts.debug && err instanceof Error && err.stack) process.stderr.write(`${redactSecrets(err.stack)}\n`);
  return code;
}

function isMachineFsError(err: unknown): boolean {
  const e = err as NodeJS.ErrnoException | null;
  if (!(e instanceof Error) || typeof e.code !== 'string' || typeof e.syscall !== 'string') return false;
  const kind = fsFailureKind(e.code, e.message);
  return kind === 'full' || kind === 'read-only' || kind === 'denied' || kind === 'io';
}

function outputFailureLine(err: NodeJS.ErrnoException): string {
  return `luna: cannot write to standard output: ${describeFsError(err, '/dev/stdout').reason}; the output is incomplete`;
}

// `luna cost report --csv | head`, `luna turn … | head -n 1`: a reader that stops early is not an error.
// Output stops, but the command runs to its end: exiting here would drop a turn mid-stream, and with it
// the model calls already paid for. Any other write failure (`> /dev/full`: ENOSPC, EIO) does the same,
// then ends non-zero with one line on stderr instead of a stack trace.
let outputFailed = false;
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  process.stdout.write = (() => true) as typeof process.stdout.write;
  if (err.code === 'EPIPE' || outputFailed) return;
  outputFailed = true;
  process.stderr.write(`${outputFailureLine(err)}\n`);
  if (finished) process.exitCode = outputExitCode(typeof process.exitCode === 'number' ? process.exitCode : ExitCode.ok);
});
process.stderr.on('error', () => {
  // Nowhere left to say anything: the exit code has to tell.
  process.stderr.write = (() => true) as typeof process.stderr.write;
});

let finished = false;
const code = await main();
finished = true;
process.exitCode = outputExitCode(code);

function outputExitCode(code: number): number {
  return outputFailed && code === ExitCode.ok ? ExitCode.failure : code;
}
