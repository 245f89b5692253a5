import { BusyError, NotFoundError, UsageError } from '../../errors.js';
import { looksLikeIdPrefix, newId, nowIso, SHORT_ID_LENGTH } from '../ids.js';
import { DEFAULT_ACCOUNT_ID, type Account, type Story, type StorySummary } from '../types.js';
import { writeTx, type Db } from './connection.js';
import { toAccount, toStory } from './rows.js';

type Row = Record<string, unknown>;

/**
 * Exact id first; otherwise a unique prefix (≥ 4 id characters) so users can type `luna story show 7k2f`.
 * Ids only use [0-9a-z], so `prefix` ≤ id < `prefix{` is exactly the prefix range and uses the index.
 */
export function findByIdOrPrefix(db: Db, table: 'stories' | 'turns', id: string, what: string): Row | undefined {
  const exact = db.prepare(`SELECT * FROM ${table} WHERE id = ?`).get(id) as Row | undefined;
  if (exact) return exact;
  const prefix = id.toLowerCase();
  if (!looksLikeIdPrefix(prefix)) return undefined;
  const rows = db.prepare(`SELECT * FROM ${table} WHERE id >= ? AND id < ? ORDER BY id LIMIT 2`).all(prefix, `${prefix}{`) as Row[];
  if (rows.length > 1) {
    throw new UsageError(`${what} id "${id}" is ambiguous: it starts more than one ${what} id`, { hint: 'type more characters of the id' });
  }
  return rows[0];
}

export class SqliteStories {
  constructor(private readonly db: Db) {}

  ensureAccount(id: string, name?: string, tier?: string): Account {
    return writeTx(this.db, () => {
      const now = nowIso();
      this.db
        .prepare(`INSERT INTO accounts (id, name, tier, created_at) VALUES (?, ?, ?, ?) ON CONFLICT(id) DO NOTHING`)
        .run(id, name ?? id, tier ?? 'free', now);
      if (name !== undefined) this.db.prepare('UPDATE accounts SET name = ? WHERE id = ?').run(name, id);
      if (tier !== undefined) this.db.prepare('UPDATE accounts SET tier = ? WHERE id = ?').run(tier, id);
      return toAccount(this.db.prepare('SELECT * FROM accounts WHERE id = ?').get(id) as Row);
    });
  }

  getAccount(id: string): Account | null {
    const r = this.db.prepare('SELECT * FROM accounts WHERE id = ?').get(id) as Row | undefined;
    return r ? toAccount(r) : null;
  }

  listAccounts(): Account[] {
    return (this.db.prepare('SELECT * FROM accounts ORDER BY created_at, id').all() as Row[]).map(toAccount);
  }

  createStory(input: { accountId?: string; title: string; premise: string; style?: string }): Story {
    const accountId = input.accountId ?? DEFAULT_ACCOUNT_ID;
    return writeTx(this.db, () => {
      if (!this.db.prepare('SELECT 1 FROM accounts WHERE id = ?').get(accountId)) {
        throw new NotFoundError(`account ${accountId} not found`, { hint: 'create it first (accounts are made on first use by the server)' });
      }
      const now = nowIso();
      const id = newId(SHORT_ID_LENGTH);
      this.db
        .prepare(`INSERT INTO stories (id, account_id, title, premise, style, head_turn_id, created_at, updated_at)
                  VALUES (?, ?, ?, ?, ?, NULL, ?, ?)`)
        .run(id, accountId, input.title, input.premise, input.style ?? '', now, now);
      return toStory(this.db.prepare('SELECT * FROM stories WHERE id = ?').get(id) as Row);
    });
  }

  getStory(id: string): Story | null {
    const r = findByIdOrPrefix(this.db, 'stories', id, 'story');
    return r ? toStory(r) : null;
  }

  listStories(filter: { accountId?: string } = {}): StorySummary[] {
    const where = filter.accountId !== undefined ? 'WHERE s.account_id = ?' : '';
    const args = filter.accountId !== undefined ? [filter.accountId] : [];
    const rows = this.db
      .prepare(`SELECT s.*, (SELECT count(*) FROM turns t WHERE t.story_id = s.id) AS turn_count
                FROM stories s ${where} ORDER BY s.updated_at DESC, s.id`)
      .all(...args) as Row[];
    return rows.map((r) => ({ ...toStory(r), turnCount: Number(r.turn_count) }));
  }

  deleteStory(id: string): boolean {
    return writeTx(this.db, () => this.db.prepare('DELETE FROM stories WHERE id = ?').run(id).changes > 0);
  }

  setHead(storyId: string, headTurnId: string | null, expectedHeadId?: string | null): void {
    writeTx(this.db, () => {
      const story = this.db.prepare('SELECT head_turn_id FROM stories WHERE id = ?').get(storyId) as Row | undefined;
      if (!story) throw new NotFoundError(`story ${storyId} not found`);
      if (expectedHeadId !== undefined && story.head_turn_id !== expectedHeadId) {
        throw new BusyError('story is busy: it moved on while this turn ran', { hint: 'look at the story again and retry' });
      }
      if (headTurnId !== null && !this.db.prepare('SELECT 1 FROM turns WHERE id = ? AND story_id = ?').get(headTurnId, storyId)) {
        throw new NotFoundError(`turn ${headTurnId} not found in story ${storyId}`);
      }
      this.db.prepare('UPDATE stories SET head_turn_id = ?, updated_at = ? WHERE id = ?').run(headTurnId, nowIso(), storyId);
    });
  }
}
