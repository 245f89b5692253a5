import { ExitCode, LunaError, isAbortError, redactSecrets } from '../errors.js';
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
    return reportError(err, { debug, json });
  }
}

export function reportError(err: unknown, opts: { debug: boolean; json: boolean }): number {
  const e = err as { code?: string; exitCode?: number; message?: string };
  // commander's own exits (help, version, usage errors) have already printed their text.
  if (typeof e?.code === 'string' && e.code.startsWith('commander.')) {
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return ExitCode.ok;
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
  } else {
    message = err instanceof Error ? err.message : String(err);
    hint = 'this looks like a bug in luna; re-run with --debug and report it';
  }
  message = redactSecrets(message);
  if (opts.json) {
    process.stderr.write(`${JSON.stringify({ error: { message, hint: hint ?? null, exitCode: code } })}\n`);
  } else {
    process.stderr.write(`luna: ${message}\n`);
    if (hint) process.stderr.write(`hint: ${hint}\n`);
  }
  if (opts.debug && err instanceof Error && err.stack) process.stderr.write(`${redactSecrets(err.stack)}\n`);
  return code;
}

// `luna cost report --csv | head`, `luna turn … | head -n 1`: a reader that stops early is not an error.
// Output stops, but the command runs to its end: exiting here would drop a turn mid-stream, and with it
// the model calls already paid for.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
  process.stdout.write = (() => true) as typeof process.stdout.write;
});

const code = await main();
process.exitCode = code;
