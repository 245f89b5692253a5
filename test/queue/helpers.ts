import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { loadConfig, type LoadedConfig } from '../../src/config/load.js';
import { BullJobQueue } from '../../src/queue/bullmq.js';
import { parseRedisQueue } from '../../src/queue/redis-url.js';
import { openStore } from '../../src/store/open.js';
import type { JobKind, Store, Story } from '../../src/store/types.js';
import { startOpenAIServer, type LoopbackServer } from '../helpers/openai-server.js';

export const REDIS = 'redis://127.0.0.1:6379';

/** A queue URL of its own (unique prefix) so parallel tests never see each other's jobs. */
export function uniqueQueueUrl(opts: Record<string, string | number> = {}): string {
  const q = new URLSearchParams({ prefix: `luna-test-${randomBytes(5).toString('hex')}`, ...Object.fromEntries(Object.entries(opts).map(([k, v]) => [k, String(v)])) });
  return `${REDIS}?${q.toString()}`;
}

export interface QueueFixture {
  home: string;
  queueUrl: string;
  loaded: LoadedConfig;
  store: Store;
  /** Loopback OpenAI-wire server the Dreamer's model points at. */
  model: LoopbackServer;
  /** Reopens config (e.g. after changing luna.yaml) — used by in-process sessions. */
  close(): Promise<void>;
}

/**
 * A LUNA_HOME with luna.yaml (queue → Redis with a unique prefix, every agent → the loopback server) and its
 * default SQLite database migrated: exactly what a spawned `luna dream` will open.
 */
export async function queueFixture(queueOpts: Record<string, string | number> = {}, dreamer: Record<string, unknown> = {}): Promise<QueueFixture> {
  const home = mkdtempSync(path.join(tmpdir(), 'luna-queue-'));
  const model = await startOpenAIServer();
  model.setDefault({ kind: 'text', chunks: ['A lighthouse ', 'at dusk, oil painting.'] });
  const queueUrl = uniqueQueueUrl(queueOpts);
  writeFileSync(
    path.join(home, 'luna.yaml'),
    stringify({
      queue: queueUrl,
      models: { loop: { provider: 'openai-compatible', baseUrl: model.baseUrl, model: 'loop-1', maxRetries: 0, timeoutMs: 60_000, price: { inputPerMTok: 0, outputPerMTok: 0 } } },
      agents: { preprocessor: { model: 'loop' }, strategist: { model: 'loop' }, writer: { model: 'loop' }, dreamer: { model: 'loop', inProcess: false, ...dreamer } },
    }),
  );
  const loaded = loadConfig({ home, env: {} });
  const store = await openStore(loaded.config.database, home, { autoMigrateSqlite: true });
  return {
    home,
    queueUrl,
    loaded,
    store,
    model,
    async close() {
      const q = await BullJobQueue.open(store, parseRedisQueue(queueUrl));
      await q.obliterate().catch(() => undefined);
      await q.close();
      await store.close();
      await model.close();
    },
  };
}

/** Commits `turns` real turns; each writes `kinds` jobs into the outbox in the turn's own transaction. */
export async function seedTurns(store: Store, turns: number, kinds: JobKind[] = ['image-prompt']): Promise<{ story: Story; turnIds: string[] }> {
  const story = await store.createStory({ title: 'Queue test', premise: 'A keeper tends a lighthouse.' });
  let head: string | null = null;
  const turnIds: string[] = [];
  for (let i = 0; i < turns; i++) {
    const turn = await store.commitTurn({
      storyId: story.id, expectedHeadId: head, parentId: head, action: `climb step ${i}`, prose: `The keeper climbs step ${i} as the lamp turns.`,
      plan: null, entities: [], facts: [], ledger: [], jobs: kinds.map((kind) => ({ kind })),
    });
    head = turn.id;
    turnIds.push(turn.id);
  }
  return { story, turnIds };
}

/** Polls until `check` holds (no timing assertion: the deadline only turns a hang into a readable failure). */
export async function until<T>(what: string, check: () => Promise<T | null | undefined | false>, deadlineMs = 60_000): Promise<T> {
  const start = Date.now();
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() - start > deadlineMs) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Dreamer ledger rows per turn: one per model call that finished, so it counts handler executions. */
export async function dreamerCallsByTurn(store: Store): Promise<Map<string, number>> {
  const rows = await store.listCalls({ agent: 'dreamer' });
  const out = new Map<string, number>();
  for (const r of rows) if (r.turnId) out.set(r.turnId, (out.get(r.turnId) ?? 0) + 1);
  return out;
}
