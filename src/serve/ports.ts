import net from 'node:net';
import { ServeError } from './errors.js';

function tryListen(port: number, host: string): Promise<number | null> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', () => resolve(null));
    srv.listen({ port, host, exclusive: true }, () => {
      const addr = srv.address();
      const got = typeof addr === 'object' && addr ? addr.port : null;
      srv.close(() => resolve(got));
    });
  });
}

/** Free on loopback and on the wildcard address: an engine bound to either would collide. */
export async function isPortFree(port: number): Promise<boolean> {
  if ((await tryListen(port, '127.0.0.1')) === null) return false;
  return (await tryListen(port, '0.0.0.0')) !== null;
}

/** Asks the kernel for an ephemeral port, skipping ones this process already handed out. */
export async function allocatePort(reserved: Set<number> = new Set()): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = await tryListen(0, '127.0.0.1');
    if (port !== null && !reserved.has(port) && (await isPortFree(port))) {
      reserved.add(port);
      return port;
    }
  }
  throw new ServeError('could not find a free port on 127.0.0.1');
}
