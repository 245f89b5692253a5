import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { luna, ROOT, tempHome } from '../helpers/cli.js';
import { createDb, dbNameOf, dropDb } from './pg-helpers.js';

const home = tempHome('luna-pg-cli-');
let url = '';
let target = '';

beforeAll(async () => {
  // test/global-setup.ts builds once before any file runs: rebuilding here raced with other files' CLIs.
  if (!existsSync(path.join(ROOT, 'dist/src/cli/main.js'))) throw new Error('no dist/src/cli/main.js: run `npm run build`');
  url = await createDb();
  target = await createDb();
}, 240_000);
afterAll(async () => {
  if (url) await dropDb(dbNameOf(url));
  if (target) await dropDb(dbNameOf(target));
  rmSync(home, { recursive: true, force: true });
}, 60_000);

const pg = (args: string[]) => luna(args, { home, env: { LUNA_DATABASE_URL: url } });
const sqlite = (args: string[]) => luna(args, { home, env: { LUNA_DATABASE_URL: '' } });

describe('luna account, migrate and db on PostgreSQL (end to end)', () => {
  it('refuses an unmigrated database, migrates, manages accounts and keys', async () => {
    const behind = await pg(['account', 'list']);
    expect(behind.exitCode).toBe(5);
    expect(behind.stderr).toMatch(/luna migrate up/);
    const up = await pg(['migrate', 'up', '--json']);
    expect(up.exitCode).toBe(0);
    expect(JSON.parse(up.stdout)).toMatchObject({ dialect: 'postgres', from: 0 });
    const created = await pg(['account', 'create', 'Acme Studio', '--id', 'acme', '--tier', 'studio', '--json']);
    expect(created.exitCode).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({ id: 'acme', name: 'Acme Studio', tier: 'studio' });
    expect((await pg(['account', 'create', 'Again', '--id', 'acme'])).exitCode).toBe(2);
    const key = await pg(['account', 'keys', 'create', 'acme', '--label', 'ci']);
    expect(key.exitCode).toBe(0);
    const secret = key.stdout.trim();
    expect(secret).toMatch(/^luna_[0-9a-z]{52}$/);
    expect(key.stderr).toMatch(/not shown again/);
    const list = JSON.parse((await pg(['account', 'keys', 'list', 'acme', '--json'])).stdout) as { id: string; prefix: string; revokedAt: string | null }[];
    expect(list).toHaveLength(1);
    expect(secret.startsWith(list[0]!.prefix)).toBe(true);
    const table = await pg(['account', 'keys', 'list']);
    expect(table.stdout).toContain(list[0]!.prefix);
    expect(table.stdout).not.toContain(secret);
    const accounts = JSON.parse((await pg(['account', 'list', '--json'])).stdout) as { id: string; activeKeys: number }[];
    expect(accounts.find((a) => a.id === 'acme')?.activeKeys).toBe(1);
    expect((await pg(['account', 'keys', 'revoke', list[0]!.id])).exitCode).toBe(0);
    expect((await pg(['account', 'keys', 'revoke', list[0]!.id])).exitCode).toBe(4);
    expect((await pg(['account', 'keys', 'create', 'nobody'])).exitCode).toBe(4);
  }, 120_000);

  it('backs up and restores PostgreSQL with pg_dump/pg_restore, asking before overwriting', async () => {
    expect((await pg(['story', 'new', '--title', 'Before', '--premise', 'p'])).exitCode).toBe(0);
    const file = path.join(home, 'pg.dump');
    const b = await pg(['db', 'backup', file, '--json']);
    expect(b.exitCode).toBe(0);
    expect(JSON.parse(b.stdout)).toMatchObject({ dialect: 'postgres', file });
    expect((await pg(['db', 'backup', file])).exitCode).toBe(2);
    expect((await pg(['story', 'new', '--title', 'After', '--premise', 'p'])).exitCode).toBe(0);
    const refused = await pg(['db', 'restore', file]);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toMatch(/--yes/);
    expect((await pg(['db', 'restore', file, '--yes'])).exitCode).toBe(0);
    const titles = (JSON.parse((await pg(['story', 'list', '--json'])).stdout) as { title: string }[]).map((s) => s.title);
    expect(titles).toEqual(['Before']);
  }, 120_000);

  it('backs up SQLite online, restores it, and copies it into PostgreSQL', async () => {
    expect((await sqlite(['story', 'new', '--title', 'Local one', '--premise', 'p'])).exitCode).toBe(0);
    const file = path.join(home, 'local-backup.db');
    expect((await sqlite(['db', 'backup', file])).exitCode).toBe(0);
    expect((await sqlite(['story', 'new', '--title', 'Local two', '--premise', 'p'])).exitCode).toBe(0);
    expect((await sqlite(['db', 'restore', file, '--yes'])).exitCode).toBe(0);
    expect((JSON.parse((await sqlite(['story', 'list', '--json'])).stdout) as { title: string }[]).map((s) => s.title)).toEqual(['Local one']);
    const copy = await luna(['db', 'copy', '--from', path.join(home, 'luna.db'), '--to', target, '--json'], { home });
    expect(copy.exitCode).toBe(0);
    const report = JSON.parse(copy.stdout) as { tables: { table: string; rows: number }[] };
    expect(report.tables.find((t) => t.table === 'stories')?.rows).toBe(1);
    const copied = await luna(['story', 'list', '--json'], { home, env: { LUNA_DATABASE_URL: target } });
    expect((JSON.parse(copied.stdout) as { title: string }[]).map((s) => s.title)).toEqual(['Local one']);
    expect((await luna(['db', 'copy', '--from', path.join(home, 'luna.db'), '--to', target], { home })).exitCode).toBe(2);
    expect((await luna(['db', 'copy', '--from', target, '--to', target], { home })).exitCode).toBe(2);
  }, 120_000);
});
