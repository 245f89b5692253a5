import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { luna, tempHome } from '../helpers/cli.js';
import { createDb, dropDb, pgUrl, uniqueDbName } from '../postgres/pg-helpers.js';

// A bad backup path is the user's input, not a bug: exit 2, the path in the message, a hint, no stack.
function expectBadPath(r: { exitCode: number; stderr: string }, message: RegExp, hint: RegExp): void {
  expect(r.exitCode, r.stderr).toBe(2);
  const lines = r.stderr.trim().split('\n');
  expect(lines[0]).toMatch(/^luna: /);
  expect(lines[0]).toMatch(message);
  expect(r.stderr).toMatch(hint);
  expect(r.stderr).not.toMatch(/bug in luna|Cannot save backup/);
}

describe('luna db backup with a bad target path', () => {
  it('names a missing folder and says to create it (SQLite)', async () => {
    const home = tempHome();
    const out = path.join(home, 'nope', 'deeper', 'x.db');
    const r = await luna(['db', 'backup', out], { home });
    expectBadPath(r, new RegExp(`${out}.*folder ${path.dirname(out)} does not exist`), /hint: create it first/);
    expect(existsSync(path.dirname(out))).toBe(false);
  });

  it('refuses an existing folder and a path under a plain file', async () => {
    const home = tempHome();
    const dir = path.join(home, 'backups');
    mkdirSync(dir);
    expectBadPath(await luna(['db', 'backup', dir], { home }), new RegExp(`${dir} is a folder`), /hint: name a file inside it/);
    const plain = path.join(home, 'plain.txt');
    writeFileSync(plain, 'x');
    expectBadPath(await luna(['db', 'backup', path.join(plain, 'x.db')], { home }), new RegExp(`${plain} is not a folder`), /hint: pick a path/);
  });

  it('checks the path before running pg_dump (PostgreSQL)', async () => {
    // Port 1: nothing listens, so reaching pg_dump would fail with a database error (exit 5), not a usage error.
    const home = tempHome();
    const out = path.join(home, 'nope', 'x.dump');
    const r = await luna(['--database-url', 'postgres://nobody@127.0.0.1:1/none', 'db', 'backup', out], { home });
    expectBadPath(r, /folder .* does not exist/, /hint: create it first/);
  });

  it('refuses a home with no database yet, backs up to a good path, and refuses to overwrite it', async () => {
    const home = tempHome();
    const out = path.join(home, 'ok.db');
    // A fresh home has no database yet: nothing to back up, and none is created by asking.
    const none = await luna(['db', 'backup', out], { home });
    expect(none.exitCode).toBe(4);
    expect(none.stderr).toMatch(/^luna: no database at .*luna\.db yet: nothing to back up$/m);
    expect(existsSync(path.join(home, 'luna.db'))).toBe(false);
    expect((await luna(['migrate', 'up'], { home })).exitCode).toBe(0);
    const ok = await luna(['db', 'backup', out], { home });
    expect(ok.exitCode, ok.stderr).toBe(0);
    expect(existsSync(out)).toBe(true);
    expect(readdirSync(home).filter((f) => f.includes('.tmp-'))).toEqual([]);
    expectBadPath(await luna(['db', 'backup', out], { home }), /already exists/, /hint: choose another file name/);
  });
});

describe('luna db backup that fails part-way', () => {
  it('leaves no file behind when pg_dump fails, so the retry is not refused', async () => {
    const home = tempHome();
    const name = uniqueDbName('luna_backup_retry');
    const url = pgUrl(name);
    const out = path.join(home, 'p.dump');
    const failed = await luna(['--database-url', url, 'db', 'backup', out], { home });
    expect(failed.exitCode, failed.stderr).toBe(5);
    expect(failed.stderr).toMatch(/^luna: pg_dump failed .*does not exist/);
    expect(readdirSync(home).filter((f) => f.startsWith('p.dump'))).toEqual([]);
    expect(failed.stderr).toMatch(/hint: .*no backup file was written/);
    await createDb(name);
    try {
      const retry = await luna(['--database-url', url, 'db', 'backup', out], { home });
      expect(retry.exitCode, retry.stderr).toBe(0);
      expect(statSync(out).size).toBeGreaterThan(0);
      expect(readdirSync(home).filter((f) => f.startsWith('p.dump'))).toEqual(['p.dump']);
    } finally {
      await dropDb(name);
    }
  });
});
