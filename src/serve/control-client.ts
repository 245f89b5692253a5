import { readFileSync } from 'node:fs';
import path from 'node:path';
import { NotFoundError } from '../errors.js';
import { ServeError } from './errors.js';
import { readState, runningDaemonPid, servePaths, type ServeState } from './state.js';

const NOT_RUNNING = () => new ServeError('luna serve is not running', { hint: 'start it with `luna serve up --detach`' });

/** Talks to the supervisor's loopback control API (port from the state file, token from control.token). */
export class ControlClient {
  readonly paths;
  constructor(home: string) {
    this.paths = servePaths(home);
  }

  daemonPid(): number | null {
    return runningDaemonPid(this.paths);
  }

  private base(): string {
    const pid = this.daemonPid();
    const state = readState(this.paths);
    if (!pid || !state || state.daemon.pid !== pid) throw NOT_RUNNING();
    return `http://127.0.0.1:${state.daemon.controlPort}`;
  }

  /** Live state from the supervisor; the state file when the API does not answer. */
  async state(): Promise<ServeState | null> {
    if (!this.daemonPid()) return null;
    try {
      const res = await fetch(`${this.base()}/state`, { signal: AbortSignal.timeout(3000) });
      if (res.ok) return (await res.json()) as ServeState;
    } catch {
      // fall through to the file
    }
    return readState(this.paths);
  }

  async post(route: string, timeoutMs = 120_000): Promise<unknown> {
    const base = this.base();
    let token: string;
    try {
      token = readFileSync(path.join(this.paths.dir, 'control.token'), 'utf8').trim();
    } catch {
      throw new ServeError(`cannot read ${path.join(this.paths.dir, 'control.token')}`, { hint: 'run this as the user that started `luna serve up`' });
    }
    let res: Response;
    try {
      res = await fetch(`${base}${route}`, { method: 'POST', headers: { 'x-luna-token': token }, signal: AbortSignal.timeout(timeoutMs) });
    } catch (err) {
      throw new ServeError(`the luna serve control API did not answer: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    const body = (await res.json().catch(() => ({}))) as { error?: string };
    // the daemon 404s a shard it does not run: same exit code as every other unknown name
    if (res.status === 404) throw new NotFoundError(body.error ?? `not found: ${route}`, { hint: 'see `luna serve status` for shard names' });
    if (!res.ok) throw new ServeError(`control API: HTTP ${res.status}: ${body.error ?? 'error'}`);
    return body;
  }
}
