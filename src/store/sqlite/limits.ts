import { BudgetError } from '../../errors.js';
import { toIso } from '../ids.js';
import type { TurnCommit } from '../types.js';
import type { Db } from './connection.js';

/**
 * Re-checks a turn's hard limits inside commitTurn's IMMEDIATE transaction, before anything is written,
 * so two turns racing for the last unit of a quota or budget cannot both land.
 * Turns are counted as distinct turn ids in the ledger (turns that made model calls), the same measure
 * the budget guard uses: imported stories do not eat a quota and deleting a story does not refund one.
 */
export function checkTurnLimits(db: Db, accountId: string, c: TurnCommit): void {
  if (!c.limits?.length) return;
  const ownCost = c.ledger.reduce((s, l) => s + (l.costUsd ?? 0), 0);
  for (const limit of c.limits) {
    const since = toIso(limit.since);
    const scoped = limit.scope === 'account';
    const where = scoped ? 'account_id = ? AND created_at >= ?' : 'created_at >= ?';
    const args = scoped ? [accountId, since] : [since];
    if (limit.maxTurns !== null && limit.maxTurns !== undefined) {
      const played = Number(db.prepare(`SELECT count(DISTINCT turn_id) FROM ledger WHERE ${where} AND turn_id IS NOT NULL`).pluck().get(...args));
      if (played + 1 > limit.maxTurns) {
        throw new BudgetError(`turn refused: ${limit.label} (${played} played this period)`, {
          hint: limit.hint ?? 'the quota resets with the next period; raise it under cost.tiers or change the account tier',
        });
      }
    }
    if (limit.maxCostUsd !== null && limit.maxCostUsd !== undefined) {
      const spent = Number(db.prepare(`SELECT coalesce(sum(cost_usd), 0) FROM ledger WHERE ${where}`).pluck().get(...args));
      if (spent + ownCost > limit.maxCostUsd + 1e-12) {
        throw new BudgetError(`turn refused: ${limit.label} (this turn would bring the period's spend to $${(spent + ownCost).toFixed(6)})`, {
          hint: limit.hint ?? 'the budget resets with the next period; raise its hardUsd under cost.budgets to continue now',
        });
      }
    }
  }
}
