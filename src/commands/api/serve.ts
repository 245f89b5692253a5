import { debugLog, type GlobalOptions, withStore } from '../../cli/context.js';
import { registerApiProcess } from '../../api/processes.js';
import { loadCliConfig } from '../../cli/context.js';
import { printJson, progress } from '../../cli/output.js';
import { UsageError } from '../../errors.js';

interface ServeOpts {
  host: string;
  port: string;
  maxInFlight: string;
  maxConcurrent: string;
  rateLimit: string;
  bodyLimit: string;
  shutdownDeadline: string;
  dream: boolean;
  detach?: boolean;
}

function int(flag: string, value: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`${flag} "${value}": expected a whole number${max === Number.MAX_SAFE_INTEGER ? ` ≥ ${min}` : ` from ${min} to ${max}`}`, { hint: 'luna api serve --help lists the flags and their defaults' });
  return n;
}

export async function run(opts: ServeOpts, g: GlobalOptions): Promise<void> {
  const port = int('--port', opts.port, 0, 65535);
  const options = {
    maxInFlight: int('--max-in-flight', opts.maxInFlight, 1),
    maxConcurrent: int('--max-concurrent', opts.maxConcurrent, 1),
    rateLimit: int('--rate-limit', opts.rateLimit, 1),
    rateWindowMs: 60_000,
    bodyLimit: int('--body-limit', opts.bodyLimit, 1024),
    dream: opts.dream !== false,
    logger: { level: g.debug ? 'debug' : 'info', redact: ['req.headers.authorization'] },
  };
  const deadline = int('--shutdown-deadline', opts.shutdownDeadline, 0);
  if (opts.detach) return detach(g);
  await withStore(g, async (store, loaded) => {
    const [{ createSession }, { buildApiApp }] = await Promise.all([import('../../runtime/session.js'), import('../../api/server.js')]);
    const session = await createSession(store, loaded, { debug: debugLog(g) });
    try {
      const api = await buildApiApp({ store, loaded, session, options });
      const stopped = new Promise<void>((resolve) => {
        const stop = () => {
          process.off('SIGTERM', stop);
          process.off('SIGINT', stop);
          process.stderr.write('luna api: stopping (running turns get the shutdown deadline, then are cancelled)\n');
          void api.shutdown(deadline).then(resolve, resolve);
        };
        process.once('SIGTERM', stop);
        process.once('SIGINT', stop);
      });
      const url = await api.app.listen({ host: opts.host, port });
      // Found by `luna api status|stop` and `luna top` until it stops.
      const unregister = registerApiProcess(loaded.home, { pid: process.pid, url, startedAt: new Date().toISOString(), log: process.env.LUNA_API_LOG ?? null });
      process.stderr.write(`luna api listening on ${url}  (OpenAPI: ${url}/openapi.json, try it: ${url}/docs)\n`);
      await stopped.finally(unregister);
      process.stderr.write('luna api: stopped\n');
    } finally {
      await session.close();
    }
  });
}

/** `--detach`: the same command as a background process logging to <home>/api/api.log; returns once it listens. */
async function detach(g: GlobalOptions): Promise<void> {
  const { home } = await loadCliConfig(g);
  const args = process.argv.slice(2).filter((a) => a !== '--detach');
  const { startDetachedApi } = await import('../../api/processes.js');
  const spin = await progress('starting luna api…', { json: g.json });
  try {
    const p = await startDetachedApi(args, home, { timeoutMs: 60_000 });
    spin.succeed(`luna api listening on ${p.url} (pid ${p.pid})`);
    if (g.json) printJson(p);
    else process.stdout.write(`log: ${p.log}\nstop it with: luna api stop ${p.pid}\n`);
  } catch (err) {
    spin.fail();
    throw err;
  }
}
