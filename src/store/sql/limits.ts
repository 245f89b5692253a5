import { BudgetError } from '../../errors.js';
import type { TurnCommit } from '../contract/records.js';
import { toIso } from '../ids.js';
import type { SqlContext } from './context.js';
import type { Executor } from './executor.js';

/**
 * Re-checks a turn's hard limits inside commitTurn's transaction, before anything is written, so two turns
 * racing for the last unit of a quota or budget cannot both land: the dialect makes such commits take turns
 * (SQLite's write lock; PostgreSQL advisory locks per account, and one for global limits taken after it).
 * Turns are counted as distinct turn ids in the ledger (turns that made model calls), the same measure the
 * budget guard uses: imported stories do not eat a quota and deleting a story does not refund one.
 */
export async function checkTurnLimits(c: SqlContext, q: Executor, accountId: string, t: TurnCommit): Promise<void> {
  if (!t.limits?.length) return;
  await c.d.lockLimits(q, new Set(t.limits.map((l) => l.scope)), accountId);
  const ownCost = t.ledger.reduce((s, l) => s + (l.costUsd ?? 0), 0);
  for (const limit of t.limits) {
    const since = toIso(limit.since);
    const account = limit.scope === 'account' ? accountId : null;
    if (limit.maxTurns !== null && limit.maxTurns !== undefined) {
      const played = await c.d.usedSince(q, 'turns', since, account);
      if (played + 1 > limit.maxTurns) {
        throw new BudgetError(`turn refused: ${limit.label} (${played} played this period)`, {
          hint: limit.hint ?? 'the quota resets with the next period; raise it under cost.tiers or change the account tier',
        });
      }
    }
    if (limit.maxCostUsd !== null && limit.maxCostUsd !== undefined) {
      const spent = await c.d.usedSince(q, 'cost', since, account);
      if (spent + ownCost > limit.maxCostUsd + 1e-12) {
        throw new BudgetError(`turn refused: ${limit.label} (this turn would bring the period's spend to $${(spent + ownCost).toFixed(6)})`, {
          hint: limit.hint ?? 'the budget resets with the next period; raise its hardUsd under cost.budgets to continue now',
        });
      }
    }
  }
}
