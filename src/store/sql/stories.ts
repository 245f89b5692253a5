import { BusyError, NotFoundError, UsageError } from '../../errors.js';
import { DEFAULT_ACCOUNT_ID, type Story, type StoryBundle, type StorySummary } from '../contract/records.js';
import type { StoryStore } from '../contract/roles.js';
import { looksLikeIdPrefix, newId, nowIso, SHORT_ID_LENGTH } from '../ids.js';
import type { SqlContext } from './context.js';
import { TURN_COLS } from './dialect.js';
import type { Executor, Row } from './executor.js';
import { importStoryIn } from './import.js';
import { setAuthorNoteIn } from './steering.js';

/**
 * Exact id first; otherwise a unique prefix (≥ 4 id characters) so users can type `luna story show 7k2f`.
 * Ids only use [0-9a-z] (and compare bytewise: COLLATE "C" in PostgreSQL), so `prefix` ≤ id < `prefix{`
 * is exactly the prefix range and uses the index.
 */
export async function findByIdOrPrefix(q: Executor, table: 'stories' | 'turns', id: string, what: string): Promise<Row | undefined> {
  const cols = table === 'turns' ? TURN_COLS : '*';
  const exact = await q.get(`SELECT ${cols} FROM ${table} WHERE id = ?`, [id]);
  if (exact) return exact;
  const prefix = id.toLowerCase();
  if (!looksLikeIdPrefix(prefix)) return undefined;
  const rows = await q.all(`SELECT ${cols} FROM ${table} WHERE id >= ? AND id < ? ORDER BY id LIMIT 2`, [prefix, `${prefix}{`]);
  if (rows.length > 1) throw new UsageError(`${what} id "${id}" is ambiguous: it starts more than one ${what} id`, { hint: 'type more characters of the id' });
  return rows[0];
}

/** The story row (locked for update where the dialect locks rows), or NotFoundError. */
export async function requireStory(c: SqlContext, q: Executor, storyId: string, lock = false): Promise<Row> {
  const r = await q.get(`SELECT * FROM stories WHERE id = ?${lock ? c.d.forUpdate : ''}`, [storyId]);
  if (!r) throw new NotFoundError(`story ${storyId} not found`);
  return r;
}

export const busyError = (hint: string) => new BusyError('story is busy: it moved on while this turn ran', { hint });

export class SqlStories implements StoryStore {
  constructor(private readonly c: SqlContext) {}

  createStory(input: { accountId?: string; title: string; premise: string; style?: string }): Promise<Story> {
    const accountId = input.accountId ?? this.c.db.scope ?? DEFAULT_ACCOUNT_ID;
    return this.c.db.transaction(async (q) => {
      if (!(await q.get('SELECT 1 FROM accounts WHERE id = ?', [accountId]))) {
        throw new NotFoundError(`account ${accountId} not found`, { hint: 'create it first: luna account create' });
      }
      const now = nowIso();
      const r = await q.get(`INSERT INTO stories (id, account_id, title, premise, style, head_turn_id, created_at, updated_at)
                             VALUES (?, ?, ?, ?, ?, NULL, ?, ?) RETURNING *`, [newId(SHORT_ID_LENGTH), accountId, input.title, input.premise, input.style ?? '', now, now]);
      return this.c.rows.toStory(r!);
    }, 'creating story');
  }

  async getStory(id: string): Promise<Story | null> {
    const r = await this.c.db.read((q) => findByIdOrPrefix(q, 'stories', id, 'story'));
    return r ? this.c.rows.toStory(r) : null;
  }

  async listStories(filter: { accountId?: string } = {}): Promise<StorySummary[]> {
    const where = filter.accountId !== undefined ? 'WHERE s.account_id = ?' : '';
    const rows = await this.c.db.all(`SELECT s.*, (SELECT count(*) FROM turns t WHERE t.story_id = s.id) AS turn_count
                                      FROM stories s ${where} ORDER BY s.updated_at DESC, s.id`, filter.accountId !== undefined ? [filter.accountId] : []);
    return rows.map((r) => ({ ...this.c.rows.toStory(r), turnCount: Number(r.turn_count) }));
  }

  deleteStory(id: string): Promise<boolean> {
    return this.c.db.transaction(async (q) => (await q.run('DELETE FROM stories WHERE id = ?', [id])) > 0, 'deleting story');
  }

  setHead(storyId: string, headTurnId: string | null, expectedHeadId?: string | null): Promise<void> {
    return this.c.db.transaction(async (q) => {
      const story = await requireStory(this.c, q, storyId, true);
      if (expectedHeadId !== undefined && (story.head_turn_id ?? null) !== expectedHeadId) throw busyError('look at the story again and retry');
      if (headTurnId !== null && !(await q.get('SELECT 1 FROM turns WHERE id = ? AND story_id = ?', [headTurnId, storyId]))) {
        throw new NotFoundError(`turn ${headTurnId} not found in story ${storyId}`);
      }
      await q.run('UPDATE stories SET head_turn_id = ?, updated_at = ? WHERE id = ?', [headTurnId, nowIso(), storyId]);
    }, 'moving head');
  }

  setAuthorNote(storyId: string, note: string): Promise<Story> {
    return setAuthorNoteIn(this.c, storyId, note);
  }

  importStory(bundle: StoryBundle, accountId?: string): Promise<Story> {
    return importStoryIn(this.c, bundle, accountId ?? this.c.db.scope ?? DEFAULT_ACCOUNT_ID);
  }
}
