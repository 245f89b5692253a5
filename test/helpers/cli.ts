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

/** `luna api serve --port 0` as a child process, resolved once it prints the URL it listens on. */
export async function startApiServe(home: string, env: Record<string, string> = {}, args: string[] = []): Promise<{ child: ReturnType<typeof execa>; url: string }> {
  const child = execa('node', [BIN, 'api', 'serve', '--port', '0', ...args], { cwd: ROOT, reject: false, env: { LUNA_HOME: home, NO_COLOR: '1', ...env }, extendEnv: true });
  let stderr = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr!.on('data', (d: Buffer) => {
      stderr += String(d);
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr);
      if (m) resolve(m[1]!);
    });
    void child.then(() => reject(new Error(`exited early: ${stderr}`)));
  });
  return { child, url };
}
