import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BusyError } from '../../src/errors.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { SqliteDb } from '../../src/store/sqlite/executor.js';
import type { TurnCommit } from '../../src/store/types.js';

const root = mkdtempSync(path.join(tmpdir(), 'luna-sqlite-conc-'));
let n = 0;
const fresh = () => openSqliteStore(path.join(root, `db-${n++}.db`), { autoMigrate: true });
afterAll(() => rmSync(root, { recursive: true, force: true }));

const commit = (storyId: string, head: string | null, action: string): TurnCommit => ({
  storyId, expectedHeadId: head, parentId: head, action, prose: `${action}.`, plan: null, entities: [{ name: 'Mira', kind: 'character' }],
  facts: [{ entityName: 'Mira', key: 'mood', value: action }], jobs: [{ kind: 'embed-turn' }],
  ledger: [{ agent: 'writer', provider: 'p', model: 'm', inputTokens: 10, outputTokens: 5, cachedTokens: 0, estimated: false, latencyMs: 7, ttftMs: null, outcome: 'ok', costUsd: 0.001, priceInPerMTok: 1, priceOutPerMTok: 1 }],
});

/**
 * better-sqlite3 is synchronous and the shared SQL layer is async: a transaction spans several awaits on one
 * connection. These check that async transactions on one store never interleave and never leak to readers.
 */
describe('SQLite store: concurrent async callers on one connection', () => {
  it('two commits racing on one head: one lands, the other fails busy and writes nothing', async () => {
    const s = await fresh();
    try {
      const st = await s.createStory({ title: 'T', premise: 'P' });
      const results = await Promise.allSettled([s.commitTurn(commit(st.id, null, 'left')), s.commitTurn(commit(st.id, null, 'right'))]);
      expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
      expect((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason).toBeInstanceOf(BusyError);
      expect(await s.countTurns(st.id)).toBe(1);
      expect(await s.listFacts(st.id)).toHaveLength(1);
      expect(await s.listCalls({ storyId: st.id })).toHaveLength(1);
      expect((await s.jobCounts(st.id)).queued).toBe(1);
    } finally {
      await s.close();
    }
  });

  it('many commits to different stories at once all land, each with its own rows', async () => {
    const s = await fresh();
    try {
      const stories = await Promise.all(Array.from({ length: 20 }, (_, i) => s.createStory({ title: `T${i}`, premise: 'P' })));
      const turns = await Promise.all(stories.map((st, i) => s.commitTurn(commit(st.id, null, `a${i}`))));
      expect(new Set(turns.map((t) => t.id)).size).toBe(20);
      for (const [i, st] of stories.entries()) {
        expect((await s.getStory(st.id))!.headTurnId).toBe(turns[i]!.id);
        expect(await s.listFacts(st.id)).toHaveLength(1);
      }
      expect(await s.listCalls()).toHaveLength(20);
      expect((await s.aggregateCalls([]))[0]!.calls).toBe(20);
      expect((await s.jobCounts()).queued).toBe(20);
    } finally {
      await s.close();
    }
  });

  it('a chain of commits issued together on one story stays a chain: each after the first sees the head moved', async () => {
    const s = await fresh();
    try {
      const st = await s.createStory({ title: 'T', premise: 'P' });
      const first = await s.commitTurn(commit(st.id, null, 'start'));
      const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => s.commitTurn(commit(st.id, first.id, `next${i}`))));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      expect(await s.countTurns(st.id)).toBe(2);
    } finally {
      await s.close();
    }
  });

  it('a read issued while a transaction is open waits for it and never sees a write that rolls back', async () => {
    const s = await fresh();
    try {
      const db = new SqliteDb(s.db);
      const events: string[] = [];
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      const tx = db.transaction(async (q) => {
        await q.run(`INSERT INTO accounts (id, name, tier, created_at) VALUES ('ghost', 'Ghost', 'free', '2026-01-01T00:00:00.000Z')`);
        events.push('written');
        await held;
        throw new Error('roll back');
      });
      const read = db.get<{ n: number }>(`SELECT count(*) AS n FROM accounts WHERE id = 'ghost'`).then((r) => {
        events.push('read');
        return r!.n;
      });
      await new Promise((resolve) => setImmediate(resolve));
      expect(events).toEqual(['written']);
      release();
      await expect(tx).rejects.toThrow('roll back');
      expect(await read).toBe(0);
      expect(events).toEqual(['written', 'read']);
      // The connection is usable again: a new transaction commits.
      await db.transaction((q) => q.run(`INSERT INTO accounts (id, name, tier, created_at) VALUES ('real', 'Real', 'free', '2026-01-01T00:00:00.000Z')`));
      expect(await s.getAccount('real')).toMatchObject({ id: 'real' });
    } finally {
      await s.close();
    }
  });
});
