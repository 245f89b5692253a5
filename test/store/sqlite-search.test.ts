import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMON_MATCHES } from '../../src/store/sqlite/memory.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { Store, Story } from '../../src/store/types.js';
import { addTurn } from './fixtures.js';

/**
 * SQLite ranks only the rare terms and phrases (summed IDF from their own posting lists) and adds a common
 * word's newest matches after them; the story is a rowid range plus a join.
 */
describe('SQLite search: rare terms ranked, common ones by recency', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'luna-sqlite-search-'));
  let store: Store;
  let story: Story;
  let other: Story;
  const many = COMMON_MATCHES + 40;
  beforeAll(async () => {
    store = await openSqliteStore(path.join(dir, 'luna.db'), { autoMigrate: true });
    // Another story first, so this one's turns do not start at the lowest rowid.
    other = await store.importStory({ title: 'Other', premise: 'p', turns: [{ action: 'I look', prose: 'The lantern and the brass compass glint.' }] });
    const turns = Array.from({ length: many }, (_, i) => ({ action: `I walk on (${i + 1})`, prose: `The lantern sways over the road, step ${i + 1}.` }));
    turns[30] = { action: 'I hide it', prose: 'Maren tucks the brass compass under the lantern.' };
    turns[200] = { action: 'I look', prose: 'The lantern widow watches from the bridge.' };
    story = await store.importStory({ title: 'Road', premise: 'p', turns });
    // And one more turn of the other story after this one's: inside this story's rowid range.
    await store.importStory({ title: 'Third', premise: 'p', turns: [{ action: 'I wait', prose: 'A lantern, a brass compass, a widow.' }] });
  });
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const depthsOf = async (query: string, limit = 5) => {
    const hits = await store.searchTurns(story.id, query, limit);
    const turns = await store.getTurns(story.id, hits.map((h) => h.turnId));
    const byId = new Map(turns.map((t) => [t.id, t]));
    return hits.map((h) => byId.get(h.turnId)?.depth ?? `not in the story: ${h.turnId}`);
  };

  it('puts the turn with the rare word first, though every turn has the common one', async () => {
    expect((await depthsOf('Where is the brass compass under the lantern?'))[0]).toBe(31);
  });

  it('finds a rare phrase of two common words', async () => {
    expect((await depthsOf('lantern widow', 3))[0]).toBe(201);
  });

  it('answers a query of only common words with their newest matches, from this story only', async () => {
    expect(await depthsOf('lantern road', 4)).toEqual([many, many - 1, many - 2, many - 3]);
  });

  it('fills the limit with common matches after the rare ones, each turn once', async () => {
    const hits = await store.searchTurns(story.id, 'brass lantern', 10);
    expect(hits).toHaveLength(10);
    expect(new Set(hits.map((h) => h.turnId)).size).toBe(10);
    expect((await depthsOf('brass lantern', 10)).slice(0, 2)).toEqual([31, many]);
    expect([...hits].sort((a, b) => b.score - a.score)).toEqual(hits);
  });

  it('answers the same from a process that has already met the common words, as the story grows', async () => {
    // This store has searched "lantern" and "road" above and remembers them common; a new one has not.
    const queries = ['lantern road', 'brass lantern', 'lantern widow', 'Where is the brass compass under the lantern?', 'road step 12'];
    const fresh = await openSqliteStore(path.join(dir, 'luna.db'));
    try {
      for (const q of queries) expect(await store.searchTurns(story.id, q, 8), q).toEqual(await fresh.searchTurns(story.id, q, 8));
      await addTurn(store, story.id, 'I stop', 'The lantern gutters; the brass compass spins.');
      const again = await openSqliteStore(path.join(dir, 'luna.db'));
      try {
        for (const q of queries) expect(await store.searchTurns(story.id, q, 8), q).toEqual(await again.searchTurns(story.id, q, 8));
      } finally {
        await again.close();
      }
    } finally {
      await fresh.close();
    }
  });

  it('never returns another story\'s turns', async () => {
    const hits = await store.searchTurns(other.id, 'brass compass lantern widow', 10);
    expect(hits).toHaveLength(1);
    expect((await store.getTurns(other.id, hits.map((h) => h.turnId)))[0]?.storyId).toBe(other.id);
  });
});
