import Database from 'better-sqlite3';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/open.js';
import { luna, tempHome } from '../helpers/cli.js';
import { turnsLedger } from '../store/fixtures.js';

describe('luna db rollup and doctor keep the cost roll-up honest', () => {
  it('passes on a ledger luna wrote, fails with exit 5 when rows changed behind its back, and --rebuild repairs it', async () => {
    const home = tempHome('luna-rollup-');
    const store = await openStore({ poolSize: 1 }, home, { autoMigrateSqlite: true });
    const rows = turnsLedger(40, 8);
    try {
      await store.recordCalls(rows);
    } finally {
      await store.close();
    }
    const ok = await luna(['--json', 'db', 'rollup'], { home });
    expect(ok.exitCode).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ ledgerCalls: rows.length, perAccountCalls: rows.length, acrossAccountsCalls: rows.length, consistent: true });

    // An operator deleting calls with plain SQL bypasses the roll-up.
    const db = new Database(path.join(home, 'luna.db'));
    db.prepare('DELETE FROM ledger WHERE seq IN (SELECT seq FROM ledger LIMIT 3)').run();
    db.close();
    const bad = await luna(['db', 'rollup'], { home });
    expect(bad.exitCode).toBe(5);
    expect(bad.stderr).toMatch(/^luna: the daily ledger roll-up does not match the ledger/m);
    expect(bad.stderr).toMatch(/^hint: run `luna db rollup --rebuild`/m);
    const doctor = await luna(['doctor', '--no-models'], { home });
    expect(doctor.stdout).toMatch(/ledger roll-up.*FAIL/);

    const fixed = await luna(['--json', 'db', 'rollup', '--rebuild'], { home });
    expect(fixed.exitCode).toBe(0);
    expect(JSON.parse(fixed.stdout)).toMatchObject({ ledgerCalls: rows.length - 3, perAccountCalls: rows.length - 3, consistent: true });
    const report = JSON.parse((await luna(['--json', 'cost', 'report'], { home })).stdout) as { total: { calls: number } };
    expect(report.total.calls).toBe(rows.length - 3);
  });
});
