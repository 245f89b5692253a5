import type { LunaConfig } from '../config/schema.js';
import { BudgetError } from '../errors.js';
import { DEFAULT_ACCOUNT_ID, type Story, type Store, type TurnLimit } from '../store/types.js';
import type { GuardResult } from '../pipeline/deps.js';
import { monthStart, periodStart } from './period.js';
import { usd } from './format.js';

export type BudgetLevel = 'ok' | 'soft' | 'hard';

/** One budget or quota as it stands now. */
export interface BudgetItem {
  name: string;
  kind: 'budget' | 'quota';
  scope: 'global' | 'account';
  accountId: string | null;
  period: 'day' | 'month';
  since: string;
  /** USD spent (budgets) or turns played (quotas) in the period. */
  used: number;
  /** Calls in the period with no known price: a USD budget cannot count them (0 for quotas). */
  unpricedCalls: number;
  soft: number | null;
  hard: number | null;
  level: BudgetLevel;
}

export interface BudgetNote {
  kind: 'unpriced' | 'tier';
  text: string;
}

export interface BudgetStatus {
  level: BudgetLevel;
  /** One line per limit reached, then the notes. */
  messages: string[];
  /** What keeps a limit from counting everything: calls without a price, a tier cost.tiers does not define. */
  notes: BudgetNote[];
  items: BudgetItem[];
}

type GuardStore = Pick<Store, 'getAccount' | 'aggregateCalls'>;

/**
 * The built-in single-user `local` account is exempt from tier turn quotas (it plays on the operator's
 * own models); USD budgets still apply to it. Hosted accounts are held to their tier.
 */
export function tierQuotaApplies(accountId: string): boolean {
  return accountId !== DEFAULT_ACCOUNT_ID;
}

const rank: Record<BudgetLevel, number> = { ok: 0, soft: 1, hard: 2 };

/** Every budget and quota that applies to the account (global budget included), with what is used now. */
export async function budgetStatus(
  store: GuardStore, config: Pick<LunaConfig, 'cost'>, accountId: string, now: Date = new Date(),
  opts: { globalItem?: () => Promise<BudgetItem> } = {},
): Promise<BudgetStatus> {
  const items: BudgetItem[] = [];
  const { budgets, tiers } = config.cost;
  if (budgets.global) items.push(await (opts.globalItem?.() ?? budgetItem(store, 'global budget', 'global', null, budgets.global, now)));
  const own = budgets.accounts[accountId];
  if (own) items.push(await budgetItem(store, `account ${accountId} budget`, 'account', accountId, own, now));
  const account = await store.getAccount(accountId);
  const tier = account ? tiers[account.tier] : undefined;
  const notes: BudgetNote[] = [];
  if (account && !tier && tierQuotaApplies(accountId) && Object.keys(tiers).length) {
    notes.push({ kind: 'tier', text: `account ${accountId} is on tier "${account.tier}", which cost.tiers does not define: no turn quota applies (luna account tier ${accountId} TIER)` });
  }
  if (account && tier && tier.turnsPerMonth !== null && tierQuotaApplies(accountId)) {
    const since = monthStart(now).toISOString();
    const [agg] = await store.aggregateCalls([], { accountId, since });
    const used = agg?.turns ?? 0;
    items.push({
      name: `${account.tier} tier quota`, kind: 'quota', scope: 'account', accountId, period: 'month', since, used, unpricedCalls: 0,
      soft: null, hard: tier.turnsPerMonth, level: used >= tier.turnsPerMonth ? 'hard' : 'ok',
    });
  }
  for (const i of items.filter((i) => i.unpricedCalls)) {
    notes.push({ kind: 'unpriced', text: `${i.name}: ${i.unpricedCalls} call(s) ${i.period === 'day' ? 'today' : 'this month'} had no price and are not counted (set the model's price: luna cost prices)` });
  }
  const level = items.reduce<BudgetLevel>((l, i) => (rank[i.level] > rank[l] ? i.level : l), 'ok');
  return { level, messages: [...items.filter((i) => i.level !== 'ok').map(describeItem), ...notes.map((n) => n.text)], notes, items };
}

async function budgetItem(
  store: GuardStore, name: string, scope: 'global' | 'account', accountId: string | null,
  b: { period: 'day' | 'month'; softUsd?: number | undefined; hardUsd?: number | undefined }, now: Date,
): Promise<BudgetItem> {
  const since = periodStart(b.period, now).toISOString();
  const [agg] = await store.aggregateCalls([], accountId ? { accountId, since } : { since });
  const used = agg?.costUsd ?? 0;
  const soft = b.softUsd ?? null;
  const hard = b.hardUsd ?? null;
  const level: BudgetLevel = hard !== null && used >= hard ? 'hard' : soft !== null && used >= soft ? 'soft' : 'ok';
  return { name, kind: 'budget', scope, accountId, period: b.period, since, used, unpricedCalls: agg?.unpricedCalls ?? 0, soft, hard, level };
}

export function describeItem(i: BudgetItem): string {
  const per = i.period === 'day' ? 'today' : 'this month';
  if (i.kind === 'quota') return `${i.name}: ${i.used} of ${i.hard} turns used ${per}`;
  const limit = i.level === 'hard' ? i.hard : i.soft;
  return `${i.name}: ${usd(i.used)} spent ${per}, ${i.level} limit ${usd(limit ?? 0)}`;
}

function limitLabel(i: BudgetItem): string {
  return i.kind === 'quota' ? `${i.name}: ${i.hard} turns a month` : `${i.name}: ${usd(i.hard ?? 0)} a ${i.period}`;
}

function refusalHint(i: BudgetItem): string {
  return i.kind === 'quota'
    ? `the quota resets on ${nextReset(i)}; raise it under cost.tiers, or move the account to another tier: luna account tier ${i.accountId} TIER`
    : `the budget resets on ${nextReset(i)}; raise cost.budgets${i.scope === 'global' ? '.global' : `.accounts.${i.accountId}`}.hardUsd to continue now`;
}

function refusal(i: BudgetItem): BudgetError {
  return new BudgetError(`turn refused: ${describeItem({ ...i, level: 'hard' })}`, { hint: refusalHint(i) });
}

function nextReset(i: BudgetItem): string {
  const s = new Date(i.since);
  const next = i.period === 'day' ? new Date(s.getTime() + 86_400_000) : monthStart(s, 1);
  return next.toISOString().slice(0, i.period === 'day' ? 16 : 10).replace('T', ' ') + (i.period === 'day' ? ' UTC' : '');
}

/**
 * PipelineDeps.guard: refuses the turn (BudgetError, exit 8) before any paid call when a tier quota or
 * hard budget is already reached. Returns the hard limits so commitTurn re-checks them in its transaction
 * and two racing turns cannot both take the last unit, and a warning per soft limit reached (the turn goes on).
 */
export function createBudgetGuard(
  store: GuardStore, config: Pick<LunaConfig, 'cost'>, opts: { now?: () => Date; globalTtlMs?: number } = {},
): (story: Story) => Promise<GuardResult> {
  // The global spend sums every account's ledger rows for the period: on a busy SQLite ledger that is a long
  // scan per turn. A short-lived copy is enough here because commitTurn re-checks the limit exactly.
  const ttl = opts.globalTtlMs ?? 2000;
  let cached: { at: number; item: BudgetItem } | null = null;
  const global = config.cost.budgets.global;
  const globalItem = global
    ? async () => {
        const now = opts.now?.() ?? new Date();
        if (!cached || now.getTime() - cached.at >= ttl || cached.at > now.getTime()) {
          cached = { at: now.getTime(), item: await budgetItem(store, 'global budget', 'global', null, global, now) };
        }
        return cached.item;
      }
    : undefined;
  return async (story) => {
    const status = await budgetStatus(store, config, story.accountId, opts.now?.() ?? new Date(), { globalItem });
    const reached = status.items.find((i) => i.level === 'hard');
    if (reached) throw refusal(reached);
    const limits = status.items
      .filter((i) => i.hard !== null)
      .map((i): TurnLimit => ({
        scope: i.scope,
        since: i.since,
        ...(i.kind === 'quota' ? { maxTurns: i.hard } : { maxCostUsd: i.hard }),
        label: limitLabel(i),
        hint: refusalHint(i),
      }));
    return {
      limits,
      // Unpriced calls are left to the turn itself, which names its own (run-turn.ts): no warning twice.
      warnings: [...status.items.filter((i) => i.level === 'soft').map(describeItem), ...status.notes.filter((n) => n.kind !== 'unpriced').map((n) => n.text)],
      usdBudget: status.items.some((i) => i.kind === 'budget'),
    };
  };
}

/** Guard-free setups (no budgets, no quotas) skip the store round trips per turn. */
export function budgetsConfigured(config: Pick<LunaConfig, 'cost'>): boolean {
  const { budgets, tiers } = config.cost;
  return Boolean(budgets.global) || Object.keys(budgets.accounts).length > 0 || Object.values(tiers).some((t) => t.turnsPerMonth !== null);
}

/**
 * For `luna burst up` / the autoscaler: renting GPUs is refused once the global hard budget is reached.
 * Throws BudgetError (exit 8); returns the current status otherwise (soft level included, for a warning).
 */
export async function assertBurstWithinBudget(store: GuardStore, config: Pick<LunaConfig, 'cost'>, now: Date = new Date()): Promise<BudgetStatus> {
  const g = config.cost.budgets.global;
  const status: BudgetStatus = { level: 'ok', messages: [], notes: [], items: [] };
  if (!g) return status;
  const item = await budgetItem(store, 'global budget', 'global', null, g, now);
  status.items.push(item);
  status.level = item.level;
  if (item.level !== 'ok') status.messages.push(describeItem(item));
  if (item.level === 'hard') {
    throw new BudgetError(`burst launch refused: ${describeItem(item)}`, {
      hint: `the budget resets on ${nextReset(item)}; raise cost.budgets.global.hardUsd to rent GPUs now`,
    });
  }
  return status;
}

/** Every USD budget configured (global first, then per account) as it stands now: for `luna top`'s Money pane. */
export async function budgetItems(store: Pick<Store, 'aggregateCalls'>, config: Pick<LunaConfig, 'cost'>, now: Date = new Date()): Promise<BudgetItem[]> {
  const s = store as GuardStore;
  const { global, accounts } = config.cost.budgets;
  const out: BudgetItem[] = [];
  if (global) out.push(await budgetItem(s, 'global budget', 'global', null, global, now));
  for (const [id, b] of Object.entries(accounts)) out.push(await budgetItem(s, `account ${id} budget`, 'account', id, b, now));
  return out;
}
