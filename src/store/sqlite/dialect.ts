import type { DailyInput } from '../daily/cells.js';
import { TURN_COLS, type NewTurnRow, type SqlDialect } from '../sql/dialect.js';
import type { Columns, Executor, Row } from '../sql/executor.js';
import type { Db } from './connection.js';
import { foldIntoDaily, rebuildDaily } from './ledger-daily.js';

/** Walks parent links from the head to the root; the bound (third parameter) stops the walk when only the last N turns are wanted. */
const BRANCH_CTE = `WITH RECURSIVE branch(seq, parent_id, n) AS (
    SELECT seq, parent_id, 1 FROM turns WHERE id = ? AND story_id = ?
    UNION ALL
    SELECT t.seq, t.parent_id, b.n + 1 FROM turns t JOIN branch b ON t.id = b.parent_id WHERE b.n < ?
  )`;
const T_COLS = TURN_COLS.split(', ').map((c) => `t.${c}`).join(', ');
const BRANCH_ROWS = `${BRANCH_CTE} SELECT ${T_COLS} FROM branch b JOIN turns t ON t.seq = b.seq ORDER BY t.depth`;
const BRANCH_IDS = `${BRANCH_CTE} SELECT t.id FROM branch b JOIN turns t ON t.seq = b.seq ORDER BY t.depth`;

const TURN_COLUMNS: Columns = [['id', 'text'], ['story_id', 'text'], ['parent_id', 'text'], ['depth', 'int'], ['action', 'text'], ['prose', 'text'],
  ['plan', 'jsonb'], ['created_at', 'timestamptz']];
const turnValues = (t: NewTurnRow) => [t.id, t.storyId, t.parentId, t.depth, t.action, t.prose, t.plan, t.createdAt];

/** UTC days and months, cut from the stored ISO timestamp text. */
export const SQLITE_DATES = { day: (col: string) => `substr(${col}, 1, 10)`, month: (col: string) => `substr(${col}, 1, 7)` };

/** SQLite: JSON as text, ISO timestamps as text, accounts on stories and the ledger only, one writer at a time. */
export function sqliteDialect(db: Db): SqlDialect {
  return {
    name: 'sqlite',
    tenantRows: false,
    forUpdate: '',
    skipLocked: '',
    migrationsTableSql: `SELECT 1 AS e FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'`,
    branchSizeSql: `WITH RECURSIVE branch(seq, parent_id) AS (
        SELECT seq, parent_id FROM turns WHERE id = ? AND story_id = ?
        UNION ALL SELECT t.seq, t.parent_id FROM turns t JOIN branch b ON t.id = b.parent_id)
      SELECT count(*) AS n, total(length(t.action) + length(t.prose)) AS chars FROM branch b JOIN turns t ON t.seq = b.seq`,
    timestampType: 'TEXT',
    // json_each keeps this one statement for any number of values (no 32k-parameter limit).
    inList: (col, values) => ({ sql: `${col} IN (SELECT value FROM json_each(?))`, param: JSON.stringify(values) }),
    ...SQLITE_DATES,
    json: <T>(v: unknown, fallback: T): T => (typeof v === 'string' ? (JSON.parse(v) as T) : fallback),
    vector: (v) => Buffer.from(v.buffer, v.byteOffset, v.byteLength),

    branch: (q, storyId, head, limit) => q.all(BRANCH_ROWS, [head, storyId, limit ?? Number.MAX_SAFE_INTEGER]),
    // Plucked straight into strings on the connection (the caller holds the store's gate): no row objects for 10,000 ids.
    branchIds: async (_q, storyId, head) => db.prepare(BRANCH_IDS).pluck().all(head, storyId, Number.MAX_SAFE_INTEGER) as string[],
    insertTurn: async (q, t) => (await q.get(`INSERT INTO turns (id, story_id, parent_id, depth, action, prose, plan, created_at)
                                               VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING ${TURN_COLS}`, turnValues(t)))!,
    insertTurns: (q, turns) => q.insertMany('turns', TURN_COLUMNS, turns.map(turnValues)),
    // BEGIN IMMEDIATE already holds the database's only write lock.
    lockLimits: async () => undefined,
    usedSince: async (q, what, since, accountId) => {
      const where = accountId !== null ? 'account_id = ? AND created_at >= ?' : 'created_at >= ?';
      const sql = what === 'turns'
        ? `SELECT count(DISTINCT turn_id) AS n FROM ledger WHERE ${where} AND turn_id IS NOT NULL`
        : `SELECT coalesce(sum(cost_usd), 0) AS n FROM ledger WHERE ${where}`;
      return Number((await q.get<Row>(sql, accountId !== null ? [accountId, since] : [since]))?.n ?? 0);
    },
    // last_used_at is written at most once a minute per key: a write on every API request cost more than the lookup.
    resolveApiKey: async (q, hash) => {
      const r = await q.get<Row>('SELECT id AS key_id, account_id, last_used_at FROM api_keys WHERE hash = ? AND revoked_at IS NULL', [hash]);
      if (!r) return undefined;
      const now = new Date();
      if (!r.last_used_at || Date.parse(String(r.last_used_at)) < now.getTime() - 60_000) await q.run('UPDATE api_keys SET last_used_at = ? WHERE id = ?', [now.toISOString(), r.key_id]);
      return { key_id: r.key_id, account_id: r.account_id };
    },
    // The roll-up's cells are read, merged and written back synchronously on this connection, inside the caller's transaction.
    foldIntoDaily: async (_q: Executor, rows: DailyInput[]) => foldIntoDaily(db, rows),
    rebuildDaily: async () => rebuildDaily(db),
  };
}
