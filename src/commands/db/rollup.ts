import type { GlobalOptions } from '../../cli/context.js';
import { withStore } from '../../cli/context.js';
import { printJson, progress } from '../../cli/output.js';
import { DatabaseError } from '../../errors.js';
import type { LedgerRollupCheck } from '../../store/types.js';

/** True when both roll-up tables hold exactly the ledger's calls and (to float noise) its cost. */
export function rollupConsistent(c: LedgerRollupCheck): boolean {
  const close = (a: number, b: number) => Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(a));
  return c.perAccountCalls === c.ledgerCalls && c.acrossAccountsCalls === c.ledgerCalls
    && close(c.costUsd.perAccount, c.costUsd.ledger) && close(c.costUsd.acrossAccounts, c.costUsd.ledger);
}

export async function run(opts: { rebuild?: boolean }, g: GlobalOptions): Promise<void> {
  await withStore(g, async (store) => {
    if (opts.rebuild) {
      const t0 = performance.now();
      const spin = await progress('rebuilding the daily ledger roll-up from the ledger…', { json: g.json });
      try {
        await store.rebuildLedgerRollup();
      } catch (err) {
        spin.fail();
        throw err;
      }
      spin.succeed(`rebuilt the daily ledger roll-up in ${Math.round(performance.now() - t0)} ms`);
    }
    const check = await store.checkLedgerRollup();
    const ok = rollupConsistent(check);
    if (g.json) printJson({ ...check, consistent: ok });
    else {
      process.stdout.write(`ledger calls            ${check.ledgerCalls}  ($${check.costUsd.ledger.toFixed(6)})\n`);
      process.stdout.write(`per-account roll-up     ${check.perAccountCalls}  ($${check.costUsd.perAccount.toFixed(6)})\n`);
      process.stdout.write(`across-accounts roll-up ${check.acrossAccountsCalls}  ($${check.costUsd.acrossAccounts.toFixed(6)})\n`);
      if (ok) process.stdout.write('the roll-up matches the ledger\n');
    }
    if (!ok) {
      throw new DatabaseError('the daily ledger roll-up does not match the ledger (something wrote to the ledger outside luna)', {
        hint: 'run `luna db rollup --rebuild` to recompute it from the ledger',
      });
    }
  });
}
