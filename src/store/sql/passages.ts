import type { PassageTurn, ProseEdge } from '../contract/records.js';
import type { SqlContext } from './context.js';
import { TURN_COLS } from './dialect.js';
import type { Executor, Row } from './executor.js';

/**
 * Characters of a neighbour's prose read with a passage turn: the end of the parent's, the start of each child's.
 * Retrieval takes a pronoun's referent from the parent's last sentences and a fact's second half from the next
 * turn's first sentence; 600 characters hold several of either.
 */
export const PASSAGE_EDGE_CHARS = 600;
const E = PASSAGE_EDGE_CHARS;

const T_COLS = TURN_COLS.split(', ').map((c) => `t.${c}`).join(', ');
/** A child row keeps its id and parent; the other turn columns are NULL. */
const CHILD_COLS = TURN_COLS.split(', ').map((c) => (c === 'id' || c === 'parent_id' ? `c.${c}` : 'NULL')).join(', ');

/**
 * The statement reading the turns `ids` (an id list fragment over `t.id`, then the same over `c.parent_id`),
 * each with its parent's tail, and every child's head as a row of its own (k = 1), in one statement: one round
 * trip. PostgreSQL runs the same as a function, luna_passage_turns (migration 0013), for its cached plan: keep
 * the two alike. Valid on both dialects (substr/length count characters in each).
 */
function passageTurnsSql(turnIds: string, childOf: string): string {
  return `SELECT 0 AS k, t.seq AS seq, ${T_COLS},
                 CASE WHEN length(p.prose) > ${E} THEN substr(p.prose, length(p.prose) - ${E - 1}) ELSE p.prose END AS edge,
                 CASE WHEN length(p.prose) > ${E} THEN 0 ELSE 1 END AS whole
            FROM turns t LEFT JOIN turns p ON p.id = t.parent_id
           WHERE ${turnIds}
          UNION ALL
          SELECT 1, c.seq, ${CHILD_COLS}, substr(c.prose, 1, ${E}), CASE WHEN length(c.prose) > ${E} THEN 0 ELSE 1 END
            FROM turns c WHERE ${childOf}
          ORDER BY 1, 2`;
}

/** Rows of passageTurnsSql → passage turns, in the order of `ids`; a turn of another story is skipped. */
export function toPassageTurns(c: SqlContext, storyId: string, ids: readonly string[], rows: Row[]): PassageTurn[] {
  const byId = new Map<string, PassageTurn>();
  for (const r of rows) {
    if (Number(r.k) !== 0 || r.story_id !== storyId) continue;
    const parentTail: ProseEdge | null = r.edge === null || r.edge === undefined ? null : { text: String(r.edge), whole: Number(r.whole) === 1 };
    byId.set(r.id as string, { turn: c.rows.toTurn(r), parentTail, children: [] });
  }
  for (const r of rows) {
    if (Number(r.k) !== 1) continue;
    byId.get(r.parent_id as string)?.children.push({ id: r.id as string, text: String(r.edge ?? ''), whole: Number(r.whole) === 1 });
  }
  return [...new Set(ids)].flatMap((id) => byId.get(id) ?? []);
}

/** Passage turns by id, one statement. */
export async function readPassageTurns(c: SqlContext, q: Executor, storyId: string, ids: readonly string[]): Promise<PassageTurn[]> {
  const unique = [...new Set(ids)];
  if (!unique.length) return [];
  const a = c.d.inList('t.id', unique);
  const b = c.d.inList('c.parent_id', unique);
  const rows = await q.all<Row>(passageTurnsSql(a.sql, b.sql), [a.param, b.param]);
  return toPassageTurns(c, storyId, unique, rows);
}
