import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const repo = path.resolve(import.meta.dirname, '../..');
const home = mkdtempSync(path.join(tmpdir(), 'luna-migrate-cli-'));

async function luna(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [path.join(repo, 'bin/luna'), ...args], {
      cwd: repo,
      env: { ...process.env, LUNA_HOME: home, LUNA_DATABASE_URL: '', NO_COLOR: '1' },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

// The built CLI comes from `npm test` (or test/global-setup.ts for a lone vitest run).
afterAll(() => rmSync(home, { recursive: true, force: true }));

describe('luna migrate (end to end)', () => {
  it('reports a new database as behind, migrates it, and rolls back only with --yes', async () => {
    const before = await luna('migrate', 'status', '--json');
    expect(before.code).toBe(0);
    const s0 = JSON.parse(before.stdout) as { dialect: string; state: string; current: number; latest: number; migrations: { appliedAt: string | null }[] };
    expect(s0).toMatchObject({ dialect: 'sqlite', state: 'behind', current: 0 });
    expect(s0.latest).toBeGreaterThanOrEqual(2);
    expect(s0.migrations.every((m) => m.appliedAt === null)).toBe(true);
    expect(existsSync(path.join(home, 'luna.db'))).toBe(true);

    const up = await luna('migrate', 'up', '--json');
    expect(up.code).toBe(0);
    expect(JSON.parse(up.stdout)).toMatchObject({ from: 0, to: s0.latest, applied: Array.from({ length: s0.latest }, (_, i) => i + 1) });

    const again = await luna('migrate', 'up');
    expect(again.stdout).toMatch(/nothing to do/);

    const table = await luna('migrate', 'status');
    expect(table.stdout).toMatch(/init/);
    expect(table.stdout).toMatch(new RegExp(`schema at version ${s0.latest}, latest ${s0.latest} \\(current\\)`));

    const refused = await luna('migrate', 'down', '--to', '1');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/--yes/);

    const down = await luna('migrate', 'down', '--to', '1', '--yes', '--json');
    expect(down.code).toBe(0);
    expect(JSON.parse(down.stdout)).toMatchObject({ to: 1, reverted: Array.from({ length: s0.latest - 1 }, (_, i) => s0.latest - i) });
    const s1 = JSON.parse((await luna('migrate', 'status', '--json')).stdout) as { state: string; current: number };
    expect(s1).toMatchObject({ state: 'behind', current: 1 });

    const bad = await luna('migrate', 'up', '--to', 'abc');
    expect(bad.code).toBe(2);
    expect((await luna('migrate', 'up', '--to', '2')).code).toBe(0);
  }, 60_000);
});
