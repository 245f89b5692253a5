import { foldCall, type Cell, type DailyInput, type Dims } from '../daily/cells.js';
import { cellKeyValues, cellWhere, DailyGroups, planDaily } from '../daily/read.js';
import type { LedgerAggregateRow, LedgerFilter, LedgerGroupKey } from '../types.js';
import type { Executor, Row } from '../sql/executor.js';

/** Advisory-lock namespaces (the two-key form): one lock per turn, and one over all turns for bulk writes. */
const TURN_LOCK_SPACE = 20515;
const ALL_TURNS_LOCK: [number, number] = [20516, 0];
/** A write touching more turns than this locks all turns at once: a lock each would fill PostgreSQL's lock table. */
const MAX_TURN_LOCKS = 64;
const CELLS_PER_CALL = 2000;

/**
 * PostgreSQL I/O for the daily roll-up (src/store/daily/cells.ts), in the caller's transaction and before
 * the calls are inserted: it reads each turn's earlier calls to know which turn counters these calls are
 * the first for. Writers of the same turn (two Dreamer workers) are serialised by an advisory lock so both
 * cannot count it as new; the cells are then added by luna_ledger_daily_add (migration 0005), which
 * merges them atomically into both roll-ups.
 */
export async function foldIntoDailyPg(q: Executor, rows: DailyInput[]): Promise<void> {
  const turnIds = [...new Set(rows.map((r) => r.turnId).filter((t): t is string => t !== null))];
  const prior = new Map<string, Dims[]>();
  if (turnIds.length) {
    await lockTurns(q, turnIds);
    const seen = await q.all(`SELECT turn_id, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, account_id, agent, provider, model
      FROM ledger WHERE turn_id = ANY($1::text[]) ORDER BY seq`, [turnIds]);
    for (const s of seen) {
      const list = prior.get(s.turn_id as string) ?? [];
      list.push({ day: s.day as string, accountId: s.account_id as string, agent: s.agent as string, provider: s.provider as string, model: s.model as string });
      prior.set(s.turn_id as string, list);
    }
  }
  const cells = new Map<string, Cell>();
  for (const r of rows) {
    let p: Dims[] | null = null;
    if (r.turnId !== null) {
      p = prior.get(r.turnId) ?? null;
      if (!p) prior.set(r.turnId, (p = []));
    }
    foldCall(cells, r, p);
  }
  await addCells(q, [...cells.values()]);
}

/**
 * Serialises writers of the same turns. Ordinary writes (a turn, a Dreamer job) share the all-turns lock
 * and take one lock per turn, in key order; a bulk write (an import, a backfill) takes the all-turns lock
 * alone, as the first lock of its transaction, so neither kind can deadlock the other.
 */
async function lockTurns(q: Executor, turnIds: string[]): Promise<void> {
  if (turnIds.length > MAX_TURN_LOCKS) {
    await q.run('SELECT pg_advisory_xact_lock($1, $2)', ALL_TURNS_LOCK);
    return;
  }
  await q.run('SELECT pg_advisory_xact_lock_shared($1, $2)', ALL_TURNS_LOCK);
  // One statement per key, sorted here: the order locks are taken in is then certain (usually one turn).
  const keys = [...new Set(turnIds.map(lockKey))].sort((a, b) => a - b);
  for (const k of keys) await q.run('SELECT pg_advisory_xact_lock($1, $2)', [TURN_LOCK_SPACE, k]);
}

/** A turn id's lock key: 32-bit FNV-1a, as a signed int4 like PostgreSQL's two-key advisory locks take. */
function lockKey(turnId: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < turnId.length; i++) {
    h ^= turnId.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h | 0;
}

async function addCells(q: Executor, cells: Cell[]): Promise<void> {
  for (let at = 0; at < cells.length; at += CELLS_PER_CALL) {
    const json = cells.slice(at, at + CELLS_PER_CALL).map((c) => ({
      day: c.day, account: c.accountId, agent: c.agent, provider: c.provider, model: c.model, calls: c.calls, input: c.input, output: c.output,
      cached: c.cached, cost: c.cost, unpriced: c.unpriced, estimated: c.estimated, failed: c.failed, fallback: c.fallback,
      latency: Object.fromEntries(c.latency), turns: [...c.turns],
    }));
    await q.run('SELECT luna_ledger_daily_add($1::jsonb)', [JSON.stringify(json)]);
  }
}

/** Recomputes both roll-ups from the ledger (migration 0005), reading calls in turn order through a cursor. */
export async function rebuildDailyPg(q: Executor): Promise<void> {
  await q.run('DELETE FROM ledger_daily_account');
  await q.run('DELETE FROM ledger_daily');
  await q.run(`DECLARE luna_daily_rebuild NO SCROLL CURSOR FOR
    SELECT account_id AS "accountId", turn_id AS "turnId", agent, provider, model, input_tokens AS "inputTokens", output_tokens AS "outputTokens",
      cached_tokens AS "cachedTokens", estimated, latency_ms AS "latencyMs", outcome, cost_usd AS "costUsd",
      to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS "createdAt"
    FROM ledger ORDER BY turn_id NULLS FIRST, seq`);
  const cells = new Map<string, Cell>();
  let turn: string | null = null;
  let prior: Dims[] = [];
  for (;;) {
    const batch = (await q.all('FETCH 20000 FROM luna_daily_rebuild')) as unknown as DailyInput[];
    if (!batch.length) break;
    for (const r of batch) {
      if (r.turnId !== turn) {
        turn = r.turnId;
        prior = [];
      }
      foldCall(cells, r, r.turnId === null ? null : prior);
    }
  }
  await q.run('CLOSE luna_daily_rebuild');
  // luna_ledger_daily_add derives the across-accounts cells itself: per-account cells are all it takes.
  await addCells(q, [...cells.values()]);
}

/** Aggregates from the roll-up, or undefined when only a ledger scan can answer exactly. */
export async function aggregateFromDailyPg(q: Executor, keys: LedgerGroupKey[], filter: LedgerFilter, scope: string | null): Promise<LedgerAggregateRow[] | undefined> {
  // A tenant may not read the across-accounts cells: its own account's cells are the same figures for it.
  const scoped = scope !== null && filter.accountId === undefined ? { ...filter, accountId: scope } : filter;
  const plan = planDaily(keys, scoped);
  if (!plan) return undefined;
  const perAccount = plan.perAccount;
  const w = cellWhere(plan, scoped, (i) => `$${i + 1}`);
  const rows = await q.all(`SELECT day, ${perAccount ? 'account_id' : `'' AS account_id`}, agent, provider, model, calls, input_tokens, output_tokens,
      cached_tokens, cost_usd, unpriced, estimated, failed, fallback, latency, turns[$1] AS turns
    FROM ${perAccount ? 'ledger_daily_account' : 'ledger_daily'} ${w.sql}`, [plan.counter + 1, ...w.args]);
  const groups = new DailyGroups(keys, plan);
  for (const r of rows as Row[]) {
    const day = r.day as string;
    const vals = cellKeyValues(keys, { day, account: r.account_id as string, agent: r.agent as string, provider: r.provider as string, model: r.model as string });
    const sums = [r.calls, r.input_tokens, r.output_tokens, r.cached_tokens, r.cost_usd, r.unpriced, r.estimated, r.failed, r.fallback].map(Number);
    const hist = groups.add(vals, day, sums, Number(r.turns));
    for (const [b, n] of Object.entries(r.latency as Record<string, number>)) {
      const k = Number(b);
      hist.set(k, (hist.get(k) ?? 0) + Number(n));
    }
  }
  return groups.rows();
}
