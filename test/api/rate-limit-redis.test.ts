import { afterEach, describe, expect, it } from 'vitest';
import { buildApiApp, type ApiApp } from '../../src/api/server.js';
import { apiFixture, type ApiFixture } from './api-fixture.js';

let f: ApiFixture | undefined;
let other: ApiApp | undefined;
afterEach(async () => {
  await other?.shutdown(100);
  await f?.close();
  f = other = undefined;
});

describe('luna api rate limit with queue: redis://', () => {
  it('two processes count one key together in Redis', async () => {
    f = await apiFixture({ rateLimit: 3 }, { queue: 'redis://127.0.0.1:6379' });
    other = await buildApiApp({ store: f.fx.store, loaded: f.fx.loaded, session: f.fx.session, options: { dream: false, rateLimit: 3 } });
    const otherUrl = await other.app.listen({ host: '127.0.0.1', port: 0 });
    const auth = { authorization: `Bearer ${f.keys.a}` };
    expect((await f.req('GET', '/v1/stories')).status).toBe(200);
    expect((await f.req('GET', '/v1/stories')).status).toBe(200);
    expect((await fetch(`${otherUrl}/v1/stories`, { headers: auth })).status).toBe(200);
    const res = await fetch(`${otherUrl}/v1/stories`, { headers: auth });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBeTruthy();
  });
});
