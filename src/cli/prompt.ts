import { createInterface } from 'node:readline/promises';
import { CancelledError, UsageError } from '../errors.js';

/** A yes/no question on the terminal; anything but y/yes is no. */
export async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`${question} [y/N] `);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

/**
 * The one gate before anything that costs money, deletes or overwrites: `--yes` passes; without a terminal to
 * ask on it is a usage error (exit 2) that names --yes; a "no" at the prompt is CancelledError (exit 130)
 * saying what was left alone. Every command that asks goes through here, so they all behave alike.
 */
export async function requireConfirmation(opts: { yes?: boolean; question: string; refusing: string; declined: string }): Promise<void> {
  if (opts.yes) return;
  if (!process.stdin.isTTY) throw new UsageError(`refusing to ${opts.refusing} without confirmation`, { hint: 'pass --yes to confirm non-interactively' });
  if (!(await confirm(opts.question))) throw new CancelledError(opts.declined);
}
