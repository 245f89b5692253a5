import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ResultPromise } from 'execa';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresStore, type PostgresStore } from '../../src/store/postgres/index.js';
import { startApiServe, tempHome } from '../helpers/cli.js';
import { startOpenAIServer, type LoopbackServer } from '../helpers/openai-server.js';
import { planJson } from '../helpers/pipeline-fixture.js';
import { createDb, dbNameOf, dropDb } from '../postgres/pg-helpers.js';
import { readSse } from './api-fixture.js';

/** Real `luna api serve` processes on one PostgreSQL database: what a deployment behind a load balancer is. */
let url = '';
let store: PostgresStore;
let strategist: LoopbackServer;
let writer: LoopbackServer;
let home = '';
let key = '';
const children: ResultPromise[] = [];

async function startApi(): Promise<{ base: string; child: ResultPromise }> {
  const { child, url } = await startApiServe(home, {}, ['--no-dream']);
  children.push(child as ResultPromise);
  return { base: url, child: child as ResultPromise };
}

const post = (base: string, p: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${base}${p}`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

beforeAll(async () => {
  url = await createDb();
  store = await openPostgresStore(url, { poolSize: 4, autoMigrate: true });
  await store.createAccount({ id: 'acme', name: 'Acme' });
  key = (await store.createApiKey('acme', 'test')).secret;
  strategist = await startOpenAIServer({ defaultReply: { kind: 'json', value: planJson() } });
  writer = await startOpenAIServer({ defaultReply: { kind: 'text', chunks: ['The ', 'tide ', 'turns ', 'at ', 'last.'], delayMs: 80 } });
  home = tempHome('luna-api-procs-');
  writeFileSync(path.join(home, 'luna.yaml'), stringify({
    database: { url },
    models: {
      planner: { provider: 'openai-compatible', baseUrl: strategist.baseUrl, model: 'planner-1', maxRetries: 0, timeoutMs: 20_000, price: { inputPerMTok: 1, outputPerMTok: 5 } },
      scribe: { provider: 'openai-compatible', baseUrl: writer.baseUrl, model: 'scribe-1', maxRetries: 0, timeoutMs: 20_000, price: { inputPerMTok: 0, outputPerMTok: 0 } },
    },
    agents: { preprocessor: { model: 'scribe' }, strategist: { model: 'planner' }, writer: { model: 'scribe' }, dreamer: { model: 'scribe', inProcess: false } },
  }));
}, 60_000);

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await Promise.allSettled(children);
  await store?.close();
  await strategist?.close();
  await writer?.close();
  if (url) await dropDb(dbNameOf(url));
}, 60_000);

describe('luna api processes sharing one PostgreSQL database', () => {
  it('two processes playing one story at once never make two turns on one head: each turn lands or gets 409', async () => {
    const [p1, p2] = await Promise.all([startApi(), startApi()]);
    const story = await (await post(p1.base, '/v1/stories', { title: 'Shared' })).json() as { id: string };
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => post(i % 2 ? p2.base : p1.base, `/v1/stories/${story.id}/turns`, { action: `move ${i}` })));
    const statuses = results.map((r) => r.status);
    expect(statuses.every((s) => s === 200 || s === 409), statuses.join(',')).toBe(true);
    const won = statuses.filter((s) => s === 200).length;
    expect(won).toBeGreaterThan(0);
    expect(won).toBeLessThan(6);
    const turns = await store.getBranch(story.id, (await store.getStory(story.id))!.headTurnId);
    expect(turns).toHaveLength(won);
    expect(await store.countTurns(story.id)).toBe(won);
    // One line: every turn's parent is the one before it.
    turns.forEach((t, i) => expect(t.parentId).toBe(i === 0 ? null : turns[i - 1]!.id));
    p1.child.kill('SIGTERM');
    p2.child.kill('SIGTERM');
    expect((await p1.child).exitCode).toBe(0);
    expect((await p2.child).exitCode).toBe(0);
  }, 120_000);

  it('kill -9 of a process mid-turn leaves no half turn; another process plays the story next', async () => {
    const [p1, p2] = await Promise.all([startApi(), startApi()]);
    const story = await (await post(p1.base, '/v1/stories', { title: 'Killed' })).json() as { id: string };
    expect((await post(p1.base, `/v1/stories/${story.id}/turns`, { action: 'first' })).status).toBe(200);
    const before = await store.countTurns(story.id);
    const head = (await store.getStory(story.id))!.headTurnId;

    const res = await post(p1.base, `/v1/stories/${story.id}/turns`, { action: 'doomed' }, { accept: 'text/event-stream' });
    const seen: string[] = [];
    await readSse(res, (e) => {
      seen.push(e.event);
      if (e.event === 'prose-token') {
        p1.child.kill('SIGKILL');
        return true;
      }
    }).catch(() => undefined);
    expect(seen).toContain('prose-token');
    await p1.child;
    expect(await store.countTurns(story.id)).toBe(before);
    expect((await store.getStory(story.id))!.headTurnId).toBe(head);

    const next = await post(p2.base, `/v1/stories/${story.id}/turns`, { action: 'second' });
    expect(next.status).toBe(200);
    expect(await store.countTurns(story.id)).toBe(before + 1);
    p2.child.kill('SIGTERM');
    await p2.child;
  }, 120_000);
});
