import { execFileSync, spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';

/**
 * Real-terminal tests drive tmux through this module: each test process gets its own tmux server (its own
 * socket, no user config). On the shared default server a new session gets the environment of whichever
 * process started that server — another test run's deleted TMPDIR, another file's PATH — and sessions of
 * other runs and files share its load and its fate. The server is killed when the file's tests end.
 */
// under the run's TMPDIR (removed when the run ends), so no socket file outlives it
const SOCKET = path.join(tmpdir(), `tmux-${process.pid}.sock`);
const base = ['-S', SOCKET, '-f', '/dev/null'];

let started = false;

export function tmux(...args: string[]): string {
  if (!started) {
    // The server stays up between sessions: by default it exits with its last session, and the next test's
    // new-session then races that exit on the same socket ("server exited unexpectedly").
    execFileSync('tmux', [...base, 'start-server', ';', 'set-option', '-g', 'exit-empty', 'off']);
    started = true;
  }
  return execFileSync('tmux', [...base, ...args], { encoding: 'utf8' });
}

/** Kills a session if it is still there (after a test, whatever happened to it). */
export function killSession(name: string): void {
  spawnSync('tmux', [...base, 'kill-session', '-t', name]);
}

/** What a failed screen wait adds to its message: is the program still running, and what is it doing. */
export function paneState(name: string): string {
  try {
    const [pid, cmd, dead] = tmux('display', '-p', '-t', name, '#{pane_pid}\t#{pane_current_command}\t#{pane_dead}').trim().split('\t');
    const tree = spawnSync('ps', ['-o', 'pid,stat,etime,time,args', '--ppid', pid!], { encoding: 'utf8' }).stdout.trim();
    return `pane shell ${pid} running ${cmd}${dead === '1' ? ' (dead)' : ''}; its children:\n${tree}`;
  } catch (err) {
    return `no pane: ${(err as Error).message.split('\n')[0]}`;
  }
}

afterAll(() => {
  spawnSync('tmux', [...base, 'kill-server']);
});
