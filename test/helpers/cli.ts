import { execa } from 'execa';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '../..');
export const BIN = path.join(ROOT, 'bin', 'luna');

export function tempHome(prefix = 'luna-cli-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

/** Runs the built CLI as a user would: a child process, its own env, no TTY. */
export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export async function luna(args: string[], opts: { home: string; env?: Record<string, string>; input?: string; timeoutMs?: number }): Promise<CliResult> {
  const r = await execa('node', [BIN, ...args], {
    cwd: ROOT,
    reject: false,
    timeout: opts.timeoutMs ?? 60_000,
    input: opts.input,
    env: { LUNA_HOME: opts.home, NO_COLOR: '1', ...opts.env },
    extendEnv: true,
  });
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}
