import { describe, expect, it } from 'vitest';
import { luna, tempHome } from '../helpers/cli.js';
import { createDb, dbNameOf, dropDb } from '../postgres/pg-helpers.js';

interface Status { current: number; latest: number }

async function status(home: string, db: string[] = []): Promise<Status> {
  const r = await luna([...db, 'migrate', 'status', '--json'], { home });
  expect(r.exitCode, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Status;
}

function expectAboveLatest(r: { exitCode: number; stderr: string }, verb: string, to: number, latest: number): void {
  expect(r.exitCode, r.stderr).toBe(2);
  const [first, hint] = r.stderr.trim().split('\n');
  expect(first).toBe(`luna: cannot ${verb} to version ${to}: the latest version is ${latest}`);
  expect(hint).toBe(`hint: pick a version from 0 to ${latest}; luna migrate status lists them`);
}

describe('luna migrate --to above the latest version', () => {
  it('is a usage error for up and down, and changes nothing', async () => {
    const home = tempHome();
    const { latest } = await status(home);
    expect(latest).toBeGreaterThan(1);

    expectAboveLatest(await luna(['migrate', 'up', '--to', '99'], { home }), 'migrate up', 99, latest);
    expect((await status(home)).current).toBe(0);

    const up = await luna(['migrate', 'up'], { home });
    expect(up.exitCode, up.stderr).toBe(0);
    expectAboveLatest(await luna(['migrate', 'down', '--to', String(latest + 1), '--yes'], { home }), 'roll back', latest + 1, latest);
    expect((await status(home)).current).toBe(latest);

    // The edges stay valid: down to the latest is "nothing to roll back", up to it is "nothing to do".
    const downToLatest = await luna(['migrate', 'down', '--to', String(latest)], { home });
    expect(downToLatest.exitCode, downToLatest.stderr).toBe(0);
    expect(downToLatest.stdout).toMatch(/nothing to roll back/);
    const upToLatest = await luna(['migrate', 'up', '--to', String(latest)], { home });
    expect(upToLatest.exitCode, upToLatest.stderr).toBe(0);
    expect(upToLatest.stdout).toMatch(/nothing to do/);
  });

  it('checks against the PostgreSQL migrations on a PostgreSQL database', async () => {
    const home = tempHome();
    const url = await createDb();
    try {
      const db = ['--database-url', url];
      const { latest } = await status(home, db);
      expectAboveLatest(await luna([...db, 'migrate', 'down', '--to', '99', '--yes'], { home }), 'roll back', 99, latest);
      expectAboveLatest(await luna([...db, 'migrate', 'up', '--to', '99'], { home }), 'migrate up', 99, latest);
      expect((await status(home, db)).current).toBe(0);
    } finally {
      await dropDb(dbNameOf(url));
    }
  });
});
