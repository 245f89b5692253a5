import type { EditedTurn, Turn, TurnCommit } from '../contract/records.js';
import type { TurnStore } from '../contract/roles.js';
import type { JobKind } from '../contract/ops.js';
import { commitTurnIn } from './commit-turn.js';
import { editTurnProseIn } from './steering.js';
import type { SqlContext } from './context.js';
import { TURN_COLS } from './dialect.js';
import { findByIdOrPrefix } from './stories.js';

const T_COLS = TURN_COLS.split(', ').map((c) => `t.${c}`).join(', ');

/** The turn tree. Branch walks are the dialect's (a recursive walk in SQLite, whole lines in PostgreSQL). */
export class SqlTurns implements TurnStore {
  constructor(protected readonly c: SqlContext) {}

  async getTurn(id: string): Promise<Turn | null> {
    const r = await this.c.db.read((q) => findByIdOrPrefix(q, 'turns', id, 'turn'));
    return r ? this.c.rows.toTurn(r) : null;
  }

  /** The story's turns among `ids` (others are skipped), in id order of the request. One query, however many ids. */
  async getTurns(storyId: string, ids: readonly string[]): Promise<Turn[]> {
    const unique = [...new Set(ids)];
    if (!unique.length) return [];
    const list = this.c.d.inList('id', unique);
    // By primary key only (a story_id condition tempts SQLite into walking the story's index); the story is checked here.
    const rows = await this.c.db.all(`SELECT ${TURN_COLS} FROM turns WHERE ${list.sql}`, [list.param]);
    const byId = new Map(rows.filter((r) => r.story_id === storyId).map((r) => [r.id as string, this.c.rows.toTurn(r)]));
    return unique.flatMap((id) => byId.get(id) ?? []);
  }

  async getBranch(storyId: string, headTurnId: string | null, opts: { limit?: number } = {}): Promise<Turn[]> {
    if (headTurnId === null) return [];
    const limit = opts.limit !== undefined ? Math.max(0, Math.floor(opts.limit)) : undefined;
    if (limit === 0) return [];
    return (await this.c.db.read((q) => this.c.d.branch(q, storyId, headTurnId, limit))).map(this.c.rows.toTurn);
  }

  async getBranchIds(storyId: string, headTurnId: string | null): Promise<string[]> {
    if (headTurnId === null) return [];
    return this.c.db.read((q) => this.c.d.branchIds(q, storyId, headTurnId));
  }

  async getChildren(turnId: string | null, storyId: string): Promise<Turn[]> {
    const rows = turnId === null
      ? await this.c.db.all(`SELECT ${TURN_COLS} FROM turns WHERE story_id = ? AND parent_id IS NULL ORDER BY seq`, [storyId])
      : await this.c.db.all(`SELECT ${TURN_COLS} FROM turns WHERE story_id = ? AND parent_id = ? ORDER BY seq`, [storyId, turnId]);
    return rows.map(this.c.rows.toTurn);
  }

  async listLeaves(storyId: string): Promise<Turn[]> {
    const rows = await this.c.db.all(`SELECT ${T_COLS} FROM turns t
                                      WHERE t.story_id = ? AND NOT EXISTS (SELECT 1 FROM turns c WHERE c.parent_id = t.id) ORDER BY t.seq`, [storyId]);
    return rows.map(this.c.rows.toTurn);
  }

  async countTurns(storyId: string): Promise<number> {
    return Number((await this.c.db.get('SELECT count(*) AS n FROM turns WHERE story_id = ?', [storyId]))?.n ?? 0);
  }

  commitTurn(commit: TurnCommit): Promise<Turn> {
    return commitTurnIn(this.c, commit);
  }

  editTurnProse(storyId: string, turnId: string, prose: string, jobs: { kind: JobKind; payload?: Record<string, unknown> }[] = []): Promise<EditedTurn> {
    return editTurnProseIn(this.c, storyId, turnId, prose, jobs);
  }
}
