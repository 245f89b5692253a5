import { zeroSums, type CallSums } from '../call-sums.js';
import { LATENCY_SQL, latencyBucket, latencyPercentiles } from '../percentile.js';
import type { LedgerAggregateRow, LedgerFilter, LedgerGroupKey } from '../types.js';
import { groupSql, ledgerWhere, SqlLedger } from '../sql/ledger.js';
import type { Db } from './connection.js';
import { SQLITE_DATES } from './dialect.js';
import type { SqlContext } from '../sql/context.js';
import { aggregateFromDaily } from './ledger-daily-read.js';
import { rollUp } from './ledger-rollup.js';
import { compareKeys } from '../ledger-keys.js';

type Row = Record<string, unknown>;

const RECENT_TTL_MS = 10_000;

const GROUP_SQL = groupSql(SQLITE_DATES);

/**
 * The SQLite ledger's read side on the raw connection: roll-up reads and a one-pass ledger scan, with short-lived
 * caches. Synchronous (better-sqlite3); SqliteLedgerRole hands it to the async Store once no transaction is open.
 */
export class SqliteLedger {
  /** Where luna_ledger_agg folds rows; set only while aggregateCalls runs (better-sqlite3 is synchronous). */
  sink: GroupTree | undefined;

  /** The last roll-up cells read, kept briefly: a report asks for the same window grouped several ways. */
  private recentCells: { sig: string; rows: unknown[][]; at: number } | undefined;

  /** The last multi-key scan, kept briefly so coarser groupings of the same window need no second scan. */
  private recent: { sig: string; keys: LedgerGroupKey[]; groups: Group[]; at: number } | undefined;

  constructor(private readonly db: Db) {
    registerAggregate(db, this);
  }

  /**
   * From the daily roll-up when it can answer exactly (any grouping of day/month/agent/provider/model/account,
   * whole-day windows); otherwise one ledger scan, hash-aggregated in JavaScript through a SQLite aggregate
   * function: SQLite can only GROUP BY by sorting, and sorting a million rows (three times: sums, distinct
   * turns, latency histogram) took ~4 s where this single pass takes ~1 s, or a fraction for one story.
   */
  aggregateCalls(groupBy: LedgerGroupKey[], filter: LedgerFilter = {}): LedgerAggregateRow[] {
    const keys = [...new Set(groupBy)];
    const daily = aggregateFromDaily(this.db, keys, filter, (sql, args) => this.cells(sql, args));
    if (daily) return daily;
    return this.scanCalls(keys, filter);
  }

  /** The ledger-scan path on its own: what the roll-up is checked against. */
  scanCalls(keys: LedgerGroupKey[], filter: LedgerFilter = {}): LedgerAggregateRow[] {
    const sig = `${JSON.stringify(filter)}\u0000${this.dataVersion()}`;
    const c = this.recent;
    let groups: Group[];
    if (c && c.sig === sig && Date.now() - c.at < RECENT_TTL_MS && keys.every((k) => c.keys.includes(k))) {
      // A report asks for the same window several ways (its grouping, the total, the spend split): coarser
      // groupings of the scan just made are merged from its groups, exactly, instead of scanning again.
      groups = rollUp(c.groups, c.keys, keys);
    } else {
      groups = this.scan(keys, filter);
      this.recent = keys.length ? { sig, keys, groups, at: Date.now() } : undefined;
    }
    return this.toRows(groups, keys);
  }

  private cells(sql: string, args: unknown[]): unknown[][] {
    const sig = `${sql}\u0000${JSON.stringify(args)}\u0000${this.dataVersion()}`;
    const c = this.recentCells;
    if (c && c.sig === sig && Date.now() - c.at < RECENT_TTL_MS) return c.rows;
    const rows = this.db.prepare(sql).raw().all(...args) as unknown[][];
    this.recentCells = { sig, rows, at: Date.now() };
    return rows;
  }

  /** Changes when any connection (this one included) commits to the database: the roll-up cache's validity. */
  private dataVersion(): string {
    return `${this.db.pragma('data_version', { simple: true })}:${this.db.prepare('SELECT total_changes()').pluck().get()}`;
  }

  private scan(keys: LedgerGroupKey[], filter: LedgerFilter): Group[] {
    const w = ledgerWhere(filter);
    const groups = newTree(keys.length);
    this.sink = groups;
    try {
      this.db
        .prepare(`SELECT luna_ledger_agg(input_tokens, output_tokens, cached_tokens, cost_usd, ${FLAGS_SQL}, turn_id, ${LATENCY_SQL}
                  ${keys.map((k) => `, ${GROUP_SQL[k]}`).join('')}) FROM ledger ${w.sql}`)
        .get(...w.args);
    } finally {
      this.sink = undefined;
    }
    return groups.groups;
  }

  private toRows(groups: Group[], keys: LedgerGroupKey[]): LedgerAggregateRow[] {
    const out = groups.map((g): LedgerAggregateRow => {
      const [p50, p95] = latencyPercentiles(g.latency, [0.5, 0.95]);
      return {
        keys: Object.fromEntries(keys.map((k, i) => [k, g.keys[i] ?? null])),
        calls: g.calls,
        inputTokens: g.input,
        outputTokens: g.output,
        cachedTokens: g.cached,
        costUsd: g.cost,
        unpricedCalls: g.unpriced,
        estimatedCalls: g.estimated,
        failedCalls: g.failed,
        fallbackCalls: g.fallback,
        turns: g.turns.size,
        latencyP50Ms: p50 ?? null,
        latencyP95Ms: p95 ?? null,
      };
    });
    return out.sort((a, b) => compareKeys(keys.map((k) => a.keys[k] ?? null), keys.map((k) => b.keys[k] ?? null)));
  }
}

export interface Group extends CallSums {
  keys: (string | null)[];
  /** Turn ids interned as small integers per scan: cheaper to hash, and roll-ups union them often. */
  turns: Set<number>;
  latency: Map<number, number>;
}


/** Flag bits computed in SQL so the per-row callback receives one small integer instead of the outcome string. */
const FLAGS_SQL = `(CASE WHEN estimated THEN 1 ELSE 0 END | CASE outcome WHEN 'failed' THEN 2 WHEN 'fallback' THEN 4 ELSE 0 END)`;

/** Groups found so far, reached through one Map per key level: no per-row string concatenation. */
interface GroupTree {
  /** Number of group keys in the running query. */
  nk: number;
  groups: Group[];
  root: Map<unknown, unknown>;
  single: Group | undefined;
  /** Reused per row to walk the key levels without allocating. */
  scratch: unknown[];
  turnIds: Map<string, number>;
}

function newTree(nk: number): GroupTree {
  return { nk, groups: [], root: new Map(), single: undefined, scratch: new Array(8).fill(null), turnIds: new Map() };
}

const newGroup = (keys: (string | null)[]): Group => ({ keys, ...zeroSums(), turns: new Set(), latency: new Map() });

function findGroup(tree: GroupTree): Group {
  const { nk, scratch } = tree;
  if (nk === 0) {
    if (!tree.single) tree.groups.push((tree.single = newGroup([])));
    return tree.single;
  }
  let level = tree.root;
  for (let i = 0; i < nk - 1; i++) {
    let next = level.get(scratch[i]) as Map<unknown, unknown> | undefined;
    if (!next) level.set(scratch[i], (next = new Map()));
    level = next;
  }
  let g = level.get(scratch[nk - 1]) as Group | undefined;
  if (!g) {
    g = newGroup(scratch.slice(0, nk) as (string | null)[]);
    level.set(scratch[nk - 1], g);
    tree.groups.push(g);
  }
  return g;
}

/**
 * Registers luna_ledger_agg(input, output, cached, cost, flags, turn, latency, ...keys): its step folds each
 * row into the tree set as `sink` for the running query. Kept lean (named parameters, no rest array):
 * this callback runs once per ledger row and dominated report time on a million rows.
 */
function registerAggregate(db: Db, ledger: { sink: GroupTree | undefined }): void {
  const step = (n: number, input: number, output: number, cached: number, cost: number | null, flags: number, turn: string | null, lat: number | null,
    k0: unknown, k1: unknown, k2: unknown, k3: unknown, k4: unknown, k5: unknown, k6: unknown, k7: unknown) => {
    const tree = ledger.sink;
    if (!tree) return n;
    const sc = tree.scratch;
    if (tree.nk > 0) {
      sc[0] = k0; sc[1] = k1; sc[2] = k2; sc[3] = k3; sc[4] = k4; sc[5] = k5; sc[6] = k6; sc[7] = k7;
    }
    const g = findGroup(tree);
    g.calls++;
    g.input += input;
    g.output += output;
    g.cached += cached;
    if (cost === null) g.unpriced++;
    else g.cost += cost;
    if (flags !== 0) {
      if (flags & 1) g.estimated++;
      if (flags & 2) g.failed++;
      if (flags & 4) g.fallback++;
    }
    if (turn !== null) {
      let t = tree.turnIds.get(turn);
      if (t === undefined) tree.turnIds.set(turn, (t = tree.turnIds.size));
      g.turns.add(t);
    }
    if (lat !== null) {
      const b = latencyBucket(lat);
      g.latency.set(b, (g.latency.get(b) ?? 0) + 1);
    }
    return n + 1;
  };
  // The typings only describe fixed-arity steps; varargs hands the step every SQL argument positionally.
  db.aggregate('luna_ledger_agg', { varargs: true, start: 0, step: step as unknown as (total: number, next: unknown) => number });
}

/** The ledger role: shared writes and listing, with aggregation from SqliteLedger. */
export class SqliteLedgerRole extends SqlLedger {
  private readonly engine: SqliteLedger;

  constructor(c: SqlContext, db: Db) {
    super(c);
    this.engine = new SqliteLedger(db);
  }

  override aggregateCalls(groupBy: LedgerGroupKey[], filter: LedgerFilter = {}): Promise<LedgerAggregateRow[]> {
    return this.c.db.read(async () => this.engine.aggregateCalls(groupBy, filter));
  }
}
