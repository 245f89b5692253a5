import { TURN_COLS, type NewTurnRow, type SqlDialect } from '../sql/dialect.js';
import type { Row } from '../sql/executor.js';
import { turnLines } from './copy-tables.js';
import { foldIntoDailyPg, rebuildDailyPg } from './ledger-daily.js';

/**
 * The lines (see the turns.line column) a branch runs through, each with the deepest depth it uses:
 * one recursion step per fork, not per turn. Joined to turns on (line, depth ≤ upto) it yields the branch.
 */
const BRANCH_LINES = `WITH RECURSIVE seg(line, upto) AS (
    SELECT line, depth FROM turns WHERE id = $1 AND story_id = $2
    UNION ALL
    SELECT p.line, p.depth FROM seg JOIN turns f ON f.id = seg.line JOIN turns p ON p.id = f.parent_id
  )`;
const BRANCH_JOIN = 'seg JOIN turns t ON t.line = seg.line AND t.depth <= seg.upto AND t.story_id = $2';
const T_COLS = TURN_COLS.split(', ').map((c) => `t.${c}`).join(', ');

const dates = (fmt: string) => (col: string) => `to_char(${col} AT TIME ZONE 'UTC', '${fmt}')`;

/**
 * PostgreSQL: jsonb, timestamptz, account_id on every tenant row (row-level security), row locks and
 * advisory locks where SQLite has its single write lock, and turns kept in lines with running branch sizes.
 */
export const pgDialect: SqlDialect = {
  name: 'postgres',
  tenantRows: true,
  forUpdate: ' FOR UPDATE',
  skipLocked: ' FOR UPDATE SKIP LOCKED',
  migrationsTableSql: `SELECT 1 AS e WHERE to_regclass('schema_migrations') IS NOT NULL`,
  // Each turn stores its branch's size (branch_chars) and position (depth): no walk needed.
  branchSizeSql: 'SELECT depth AS n, branch_chars AS chars FROM turns WHERE id = ? AND story_id = ?',
  timestampType: 'timestamptz',
  inList: (col, values) => ({ sql: `${col} = ANY(?::text[])`, param: values }),
  day: dates('YYYY-MM-DD'),
  month: dates('YYYY-MM'),
  json: <T>(v: unknown, fallback: T): T => (v === null || v === undefined ? fallback : (v as T)),
  vector: (v) => Array.from(v),

  branch: async (q, storyId, head, limit) => {
    if (limit === undefined) return q.all(`${BRANCH_LINES} SELECT ${T_COLS} FROM ${BRANCH_JOIN} ORDER BY t.depth`, [head, storyId]);
    return (await q.all(`${BRANCH_LINES} SELECT ${T_COLS} FROM ${BRANCH_JOIN} ORDER BY t.depth DESC LIMIT $3`, [head, storyId, limit])).reverse();
  },

  branchIds: async (q, storyId, head) => (await q.all(`${BRANCH_LINES} SELECT t.id FROM ${BRANCH_JOIN} ORDER BY t.depth`, [head, storyId])).map((r) => r.id as string),

  /** A new turn continues its parent's line unless the parent already has a child on it; branch_chars runs on from the parent's. */
  insertTurn: async (q, t) => {
    let line = t.id;
    let before = 0;
    if (t.parentId !== null) {
      const p = await q.get(`SELECT p.line, p.branch_chars, EXISTS (SELECT 1 FROM turns c WHERE c.parent_id = p.id AND c.line = p.line) AS taken
                             FROM turns p WHERE p.id = $1`, [t.parentId]);
      if (p && !p.taken) line = p.line as string;
      before = Number(p?.branch_chars ?? 0);
    }
    return (await q.get(`INSERT INTO turns (id, account_id, story_id, parent_id, line, depth, branch_chars, action, prose, plan, created_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $11 + char_length($7) + char_length($8), $7, $8, $9::jsonb, $10) RETURNING ${TURN_COLS}`,
    [t.id, t.accountId, t.storyId, t.parentId, line, t.depth, t.action, t.prose, t.plan, t.createdAt, before]))!;
  },

  insertTurns: async (q, turns) => {
    const lines = turnLines();
    await q.insertMany('turns', [['id', 'text'], ['account_id', 'text'], ['story_id', 'text'], ['parent_id', 'text'], ['line', 'text'], ['depth', 'int'],
      ['branch_chars', 'bigint'], ['action', 'text'], ['prose', 'text'], ['plan', 'jsonb'], ['created_at', 'timestamptz']],
    turns.map((t: NewTurnRow) => {
      const { line, size } = lines(t.id, t.parentId, t.action, t.prose);
      return [t.id, t.accountId, t.storyId, t.parentId, line, t.depth, size, t.action, t.prose, t.plan, t.createdAt];
    }));
  },

  /** Transaction-scoped advisory locks: per account, and one for global limits always taken after the account's. */
  lockLimits: async (q, scopes, accountId) => {
    if (scopes.has('account')) await q.run(`SELECT pg_advisory_xact_lock(hashtext('luna:limit:' || $1))`, [accountId]);
    if (scopes.has('global')) await q.run(`SELECT pg_advisory_xact_lock(hashtext('luna:limit:*'))`);
  },
  // SECURITY DEFINER functions (migration 0001): a tenant's commit counts global limits across accounts it cannot read.
  usedSince: async (q, what, since, accountId) =>
    Number((await q.get<Row>(`SELECT ${what === 'turns' ? 'luna_turns_since' : 'luna_cost_since'}($1, $2) AS n`, [since, accountId]))?.n ?? 0),
  // Through a SECURITY DEFINER function, so it works before any account is known (even as luna_app).
  resolveApiKey: (q, hash) => q.get('SELECT * FROM luna_resolve_api_key($1)', [hash]),
  foldIntoDaily: (q, rows) => foldIntoDailyPg(q, rows),
  rebuildDaily: (q) => rebuildDailyPg(q),
  // Every turn below the edited one carries the branch size through it.
  afterProseEdit: async (q, storyId, turnId, delta) => {
    if (delta === 0) return;
    await q.run(`WITH RECURSIVE sub(id) AS (SELECT id FROM turns WHERE id = $1 AND story_id = $2
                   UNION ALL SELECT t.id FROM turns t JOIN sub ON t.parent_id = sub.id)
                 UPDATE turns SET branch_chars = branch_chars + $3 WHERE id IN (SELECT id FROM sub)`, [turnId, storyId, delta]);
  },
};
