import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/open.js';
import { luna, tempHome } from '../helpers/cli.js';
import { addTurn } from '../store/fixtures.js';
import { createDb, dbNameOf, dropDb } from './pg-helpers.js';

const home = tempHome('luna-pg-images-');
let target = '';

beforeAll(async () => {
  target = await createDb();
}, 240_000);
afterAll(async () => {
  if (target) await dropDb(dbNameOf(target));
}, 60_000);

describe('turn images on PostgreSQL', () => {
  it('luna db copy moves turn image rows from SQLite, and row-level security keeps them to their account', async () => {
    const src = await openStore({ url: `sqlite:${path.join(home, 'luna.db')}`, poolSize: 1 }, home, { autoMigrateSqlite: true });
    let imageId = '';
    let storyId = '';
    try {
      const story = await src.createStory({ title: 'Harbour', premise: 'p' });
      storyId = story.id;
      const turn = await addTurn(src, story.id, 'I climb', 'The lamp swings.');
      const [saved] = await src.replaceTurnImages(turn.id, 'a lighthouse', [{ n: 1, path: '/srv/luna/images/x.png', mime: 'image/png', width: 8, height: 6, bytes: 99 }]);
      imageId = saved!.id;
    } finally {
      await src.close();
    }
    const copy = await luna(['db', 'copy', '--from', path.join(home, 'luna.db'), '--to', target, '--json'], { home });
    expect(copy.exitCode, copy.stderr).toBe(0);
    expect((JSON.parse(copy.stdout) as { tables: { table: string; rows: number }[] }).tables.find((t) => t.table === 'turn_images')?.rows).toBe(1);
    const store = await openStore({ url: target, poolSize: 2 }, home);
    try {
      expect(await store.listTurnImages(storyId)).toEqual([expect.objectContaining({ id: imageId, depth: 1, path: '/srv/luna/images/x.png', width: 8, height: 6, bytes: 99, prompt: 'a lighthouse' })]);
    } finally {
      await store.close();
    }
    // As the app role with an account set, no WHERE clause: only the owner's rows are visible.
    const rawAs = async (accountId: string) => {
      const c = new pg.Client({ connectionString: target });
      await c.connect();
      try {
        await c.query('BEGIN');
        await c.query(`SELECT set_config('role', 'luna_app', true), set_config('luna.account_id', $1, true)`, [accountId]);
        return (await c.query('SELECT id FROM turn_images')).rows.map((r) => r.id as string);
      } finally {
        await c.query('ROLLBACK').catch(() => undefined);
        await c.end();
      }
    };
    expect(await rawAs('local')).toEqual([imageId]);
    expect(await rawAs('someone-else')).toEqual([]);
  }, 120_000);
});
