import type { DailyInput } from '../daily/cells.js';
import type { Dialect } from '../contract/roles.js';
import type { Executor, Row } from './executor.js';

/** A turn as shared code inserts it; the dialect adds what its schema keeps beside (PostgreSQL: line, branch size, account). */
export interface NewTurnRow {
  id: string;
  accountId: string;
  storyId: string;
  parentId: string | null;
  depth: number;
  action: string;
  prose: string;
  /** JSON text or null. */
  plan: string | null;
  createdAt: string;
}

/** Every turn column but PostgreSQL's generated tsvector, which nobody reads back. */
export const TURN_COLS = 'id, story_id, parent_id, depth, action, prose, plan, created_at, note, ooc, continued, edited_at';

/**
 * What truly differs between SQLite and PostgreSQL, in one object per driver; everything else is written
 * once in src/store/sql/. Fragments are SQL text; hooks run whole statements where the schemas differ.
 */
export interface SqlDialect {
  readonly name: Dialect;
  /** PostgreSQL rows carry account_id (for row-level security); SQLite keeps it on stories and the ledger only. */
  readonly tenantRows: boolean;
  /** Row lock for a read-then-write. Empty in SQLite, whose BEGIN IMMEDIATE already holds the write lock. */
  readonly forUpdate: string;
  /** Lets concurrent job claimers pass each other's locked rows (PostgreSQL). */
  readonly skipLocked: string;
  /** A query answering one row `{ e }` when schema_migrations exists. */
  readonly migrationsTableSql: string;
  /** Turns on the branch ending at a head (parameters: head, story) and their action+prose characters, as `{ n, chars }`. */
  readonly branchSizeSql: string;
  /** The type of schema_migrations.applied_at. */
  readonly timestampType: string;
  /** `col IN (…)` for any number of values as a single parameter (no parameter-count limit). */
  inList(col: string, values: readonly string[]): { sql: string; param: unknown };
  /** UTC day (YYYY-MM-DD) and month (YYYY-MM) of a timestamp column. */
  day(col: string): string;
  month(col: string): string;
  /** A JSON column as read back: SQLite returns its text, PostgreSQL's jsonb arrives parsed. */
  json<T>(v: unknown, fallback: T): T;
  /** An embedding as a parameter: a float32 BLOB, or a real[]. */
  vector(v: Float32Array): unknown;

  /** The turns (TURN_COLS) from the root to `head`, oldest first; `limit` keeps the last N. */
  branch(q: Executor, storyId: string, head: string, limit?: number): Promise<Row[]>;
  /** The ids of those turns, oldest first (retrieval filters on them for every turn: kept cheap). */
  branchIds(q: Executor, storyId: string, head: string): Promise<string[]>;
  /** Inserts one committed turn and returns it (TURN_COLS). */
  insertTurn(q: Executor, t: NewTurnRow): Promise<Row>;
  /** Inserts an imported story's turns, parents before children. */
  insertTurns(q: Executor, turns: NewTurnRow[]): Promise<void>;
  /** Makes commits that check the same limits take turns (PostgreSQL advisory locks; SQLite's write lock already does). */
  lockLimits(q: Executor, scopes: Set<'account' | 'global'>, accountId: string): Promise<void>;
  /** Distinct turns with ledger rows, or ledger spend (USD), since `since`; across every account when accountId is null. */
  usedSince(q: Executor, what: 'turns' | 'cost', since: string, accountId: string | null): Promise<number>;
  /** Marks a live key used and returns `{ key_id, account_id }`, or nothing for an unknown or revoked key. */
  resolveApiKey(q: Executor, hash: string): Promise<Row | undefined>;
  /** Folds calls about to be inserted into the daily roll-up, in the caller's transaction. */
  foldIntoDaily(q: Executor, rows: DailyInput[]): Promise<void>;
  /** Recomputes the daily roll-up from the ledger, in the caller's transaction. */
  rebuildDaily(q: Executor): Promise<void>;
  /** A turn's prose changed by `deltaChars` code points: whatever the dialect keeps per branch follows (PostgreSQL's branch_chars). */
  afterProseEdit?(q: Executor, storyId: string, turnId: string, deltaChars: number): Promise<void>;
}

/** The account column, placeholder and argument a tenant-row dialect adds to an INSERT; nothing in SQLite. */
export function tenant(d: SqlDialect, accountId: string): { col: string; ph: string; args: unknown[] } {
  return d.tenantRows ? { col: ', account_id', ph: ', ?', args: [accountId] } : { col: '', ph: '', args: [] };
}
