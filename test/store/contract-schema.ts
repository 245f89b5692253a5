import { describe, expect, it } from 'vitest';
import { DatabaseError } from '../../src/errors.js';
import { DEFAULT_ACCOUNT_ID } from '../../src/store/types.js';
import type { ContractContext } from './contract.js';
import { chain } from './fixtures.js';

export function schemaContract({ store }: ContractContext): void {
  describe('schema and accounts', () => {
    it('starts fully migrated with the default account', async () => {
      const s = store();
      const st = await s.migrationStatus();
      expect(st.current).toBe(st.latest);
      expect(st.latest).toBeGreaterThanOrEqual(1);
      expect(st.migrations.map((m) => m.version)).toEqual(Array.from({ length: st.latest }, (_, i) => i + 1));
      for (const m of st.migrations) expect(m.appliedAt).not.toBeNull();
      await expect(s.assertSchemaCurrent()).resolves.toBeUndefined();
      expect(await s.migrateUp()).toEqual([]);
      expect((await s.getAccount(DEFAULT_ACCOUNT_ID))?.id).toBe(DEFAULT_ACCOUNT_ID);
    });

    it('ensures accounts idempotently and updates name/tier when given', async () => {
      const s = store();
      const a = await s.ensureAccount('acme');
      expect(a).toMatchObject({ id: 'acme', name: 'acme' });
      const b = await s.ensureAccount('acme', 'Acme Inc', 'studio');
      expect(b).toMatchObject({ id: 'acme', name: 'Acme Inc', tier: 'studio', createdAt: a.createdAt });
      expect(await s.ensureAccount('acme')).toEqual(b);
      expect((await s.listAccounts()).map((x) => x.id).sort()).toEqual(['acme', DEFAULT_ACCOUNT_ID].sort());
      expect(await s.getAccount('nobody')).toBeNull();
    });

    it('round-trips migrations down to 0 and back up', async () => {
      const s = store();
      const latest = (await s.migrationStatus()).latest;
      const story = await s.createStory({ title: 'T', premise: 'P' });
      await chain(s, story.id, 2);
      const reverted = await s.migrateDown(0);
      expect(reverted).toEqual(Array.from({ length: latest }, (_, i) => latest - i));
      const down = await s.migrationStatus();
      expect(down.current).toBe(0);
      expect(down.migrations.every((m) => m.appliedAt === null)).toBe(true);
      const err = await s.assertSchemaCurrent().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DatabaseError);
      expect((err as DatabaseError).hint).toMatch(/luna migrate up/);
      expect(await s.migrateDown(0)).toEqual([]);
      expect(await s.migrateUp(1)).toEqual([1]);
      expect((await s.migrationStatus()).current).toBe(1);
      expect(await s.migrateUp()).toEqual(Array.from({ length: latest - 1 }, (_, i) => i + 2));
      await s.assertSchemaCurrent();
      expect(await s.listStories()).toEqual([]);
      expect(await s.getAccount(DEFAULT_ACCOUNT_ID)).not.toBeNull();
      const again = await s.createStory({ title: 'T2', premise: 'P' });
      expect(await chain(s, again.id, 1)).toHaveLength(1);
    });
  });
}
