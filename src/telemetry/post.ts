import http from 'node:http';
import https from 'node:https';

/**
 * One POST with node:http(s) and a keep-alive agent. Not fetch: undici's fetch cost about 3 ms of CPU per
 * export on the 2-core machine (bench/telemetry.ts), spent on the same event loop as the next turn; a plain
 * request costs a fraction of that. Idle keep-alive sockets are unref'd by the agent, so they never hold a
 * finished `luna turn` open.
 */
export function createPoster(url: string) {
  const target = new URL(url);
  const secure = target.protocol === 'https:';
  const agent = secure ? new https.Agent({ keepAlive: true, maxSockets: 4 }) : new http.Agent({ keepAlive: true, maxSockets: 4 });
  const request = secure ? https.request : http.request;
  return (headers: Record<string, string>, body: string, signal: AbortSignal): Promise<{ status: number; text: string }> =>
    new Promise((resolve, reject) => {
      const req = request(target, { method: 'POST', agent, signal, headers: { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          if (text.length < 4096) text += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });
}
