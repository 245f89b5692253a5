import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { luna, tempHome } from '../helpers/cli.js';

// Port 1: nothing listens. The source is checked before any connection, so these never reach PostgreSQL;
// if they did, the copy would fail with a database error (exit 5) instead of the codes asserted here.
const NO_PG = 'postgres://nobody@127.0.0.1:1/none';

describe('luna db copy with a bad --from', () => {
  it('names a missing SQLite source (exit 4) and creates neither it nor its folder', async () => {
    const home = tempHome();
    for (const from of [path.join(home, 'nonexist.db'), path.join(home, 'nope', 'nonexist.db')]) {
      for (const spelled of [from, `sqlite:${from}`]) {
        const r = await luna(['db', 'copy', '--from', spelled, '--to', NO_PG], { home });
        expect(r.exitCode, r.stderr).toBe(4);
        expect(r.stderr.split('\n')[0]).toBe(`luna: no SQLite database at ${from}`);
        expect(r.stderr).toMatch(/^hint: check the --from path/m);
        expect(existsSync(from)).toBe(false);
        expect(existsSync(`${from}-wal`)).toBe(false);
      }
    }
    expect(existsSync(path.join(home, 'nope'))).toBe(false);
  });

  it('refuses a folder as the source (exit 2)', async () => {
    const home = tempHome();
    const dir = path.join(home, 'data');
    mkdirSync(dir);
    const r = await luna(['db', 'copy', '--from', dir, '--to', NO_PG], { home });
    expect(r.exitCode, r.stderr).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^luna: ${dir} is a folder, not a SQLite database file`));
    expect(r.stderr).toMatch(/^hint: /m);
  });
});
