import { BusyError, NotFoundError } from '../../errors.js';
import type { Job, JobKind, JobState } from '../contract/ops.js';
import type { JobStore, NewJob } from '../contract/roles.js';
import { newId, nowIso } from '../ids.js';
import type { SqlContext } from './context.js';
import type { Executor } from './executor.js';
import { withAccount } from './memory.js';

export const DEFAULT_MAX_ATTEMPTS = 3;

/** Inserts inside the caller's transaction; each job's account is its story's (`accountId` when the caller knows it). */
export async function insertJobs(c: SqlContext, q: Executor, jobs: NewJob[], accountId?: string): Promise<string[]> {
  if (jobs.length === 0) return [];
  let accountOf = (_storyId: string) => accountId!;
  if (accountId === undefined) {
    const ids = c.d.inList('id', [...new Set(jobs.map((j) => j.storyId))]);
    const found = new Map((await q.all(`SELECT id, account_id FROM stories WHERE ${ids.sql}`, [ids.param])).map((r) => [r.id as string, r.account_id as string]));
    const missing = jobs.find((j) => !found.has(j.storyId));
    if (missing) throw new NotFoundError(`cannot enqueue: story ${missing.storyId} not found`);
    accountOf = (storyId) => found.get(storyId)!;
  }
  const now = nowIso();
  const ids = jobs.map(() => newId());
  await q.insertMany('jobs', withAccount(c, [['id', 'text']], [['kind', 'text'], ['story_id', 'text'], ['turn_id', 'text'], ['payload', 'jsonb'],
    ['state', 'text'], ['attempts', 'int'], ['max_attempts', 'int'], ['run_after', 'timestamptz'], ['created_at', 'timestamptz'], ['updated_at', 'timestamptz']]),
  jobs.map((j, i) => [ids[i], ...(c.d.tenantRows ? [accountOf(j.storyId)] : []), j.kind, j.storyId, j.turnId, JSON.stringify(j.payload ?? {}),
    'queued', 0, j.maxAttempts ?? DEFAULT_MAX_ATTEMPTS, now, now, now]));
  return ids;
}

/** The durable Dreamer queue. */
export class SqlJobs implements JobStore {
  constructor(private readonly c: SqlContext) {}

  private async get(q: Executor, id: string, lock = false): Promise<Job> {
    const r = await q.get(`SELECT * FROM jobs WHERE id = ?${lock ? this.c.d.forUpdate : ''}`, [id]);
    if (!r) throw new NotFoundError(`job ${id} not found`);
    return this.c.rows.toJob(r);
  }

  enqueueJobs(jobs: NewJob[]): Promise<Job[]> {
    return this.c.db.transaction(async (q) => {
      const out: Job[] = [];
      for (const id of await insertJobs(this.c, q, jobs)) out.push(await this.get(q, id));
      return out;
    }, 'enqueueing jobs');
  }

  /**
   * The write lock (SQLite) or FOR UPDATE SKIP LOCKED (PostgreSQL) is taken before choosing, so a job is
   * never handed out twice. A running job whose lock expired (its worker died) is claimable again; claiming
   * counts as an attempt, so a job that keeps killing its worker ends 'failed' instead of looping forever.
   */
  claimJob(workerId: string, lockMs: number, kinds?: JobKind[]): Promise<Job | null> {
    return this.c.db.transaction(async (q) => {
      const now = nowIso();
      await q.run(`UPDATE jobs SET state = 'failed', locked_by = NULL, locked_until = NULL, updated_at = ?,
                     last_error = coalesce(last_error, 'worker lock expired') || ' (gave up after ' || attempts || ' attempts)'
                   WHERE state = 'running' AND locked_until < ? AND attempts >= max_attempts`, [now, now]);
      const k = kinds && kinds.length ? this.c.d.inList('kind', kinds) : undefined;
      const r = await q.get(`UPDATE jobs SET state = 'running', locked_by = ?, locked_until = ?, attempts = attempts + 1, updated_at = ?
                             WHERE seq = (SELECT seq FROM jobs
                                          WHERE ((state = 'queued' AND run_after <= ?) OR (state = 'running' AND locked_until < ?)) ${k ? `AND ${k.sql}` : ''}
                                          ORDER BY run_after, seq LIMIT 1${this.c.d.skipLocked})
                             RETURNING *`, [workerId, new Date(Date.now() + lockMs).toISOString(), now, now, now, ...(k ? [k.param] : [])]);
      return r ? this.c.rows.toJob(r) : null;
    }, 'claiming job');
  }

  private async held(q: Executor, id: string, workerId: string): Promise<Job> {
    const job = await this.get(q, id, true);
    if (job.state !== 'running' || job.lockedBy !== workerId) {
      throw new BusyError(`job ${id} is not held by worker ${workerId} (state ${job.state}, held by ${job.lockedBy ?? 'nobody'})`, {
        hint: 'its lock probably expired and another worker took it',
      });
    }
    return job;
  }

  completeJob(id: string, workerId: string): Promise<void> {
    return this.c.db.transaction(async (q) => {
      await this.held(q, id, workerId);
      await q.run(`UPDATE jobs SET state = 'done', locked_by = NULL, locked_until = NULL, last_error = NULL, updated_at = ? WHERE id = ?`, [nowIso(), id]);
    }, 'completing job');
  }

  extendJobLock(id: string, workerId: string, lockMs: number): Promise<void> {
    return this.c.db.transaction(async (q) => {
      await this.held(q, id, workerId);
      await q.run('UPDATE jobs SET locked_until = ?, updated_at = ? WHERE id = ?', [new Date(Date.now() + lockMs).toISOString(), nowIso(), id]);
    }, 'extending a job\'s lock');
  }

  failJob(id: string, workerId: string, error: string, backoffMs: number, final = false): Promise<Job> {
    return this.c.db.transaction(async (q) => {
      const job = await this.held(q, id, workerId);
      const now = Date.now();
      const r = await q.get(`UPDATE jobs SET state = ?, locked_by = NULL, locked_until = NULL, last_error = ?, run_after = ?, updated_at = ? WHERE id = ? RETURNING *`,
        [final || job.attempts >= job.maxAttempts ? 'failed' : 'queued', error, new Date(now + Math.max(0, backoffMs)).toISOString(), new Date(now).toISOString(), id]);
      return this.c.rows.toJob(r!);
    }, 'failing job');
  }

  /** Outbox → Redis hand-over: only rows still queued become held by `owner` (no lock expiry: BullMQ owns them). */
  markJobsRelayed(ids: string[], owner: string): Promise<string[]> {
    if (!ids.length) return Promise.resolve([]);
    return this.c.db.transaction(async (q) => {
      const list = this.c.d.inList('id', ids);
      const rows = await q.all(`UPDATE jobs SET state = 'running', locked_by = ?, locked_until = NULL, updated_at = ? WHERE ${list.sql} AND state = 'queued' RETURNING id`,
        [owner, nowIso(), list.param]);
      const marked = new Set(rows.map((r) => r.id as string));
      return ids.filter((id) => marked.has(id));
    }, 'relaying jobs');
  }

  /** Mirrors a BullMQ outcome onto the row; a done row is never reopened, and done/failed release the holder. */
  async mirrorJob(id: string, u: { state: JobState; attempts: number; lastError: string | null }): Promise<void> {
    const release = u.state === 'done' || u.state === 'failed';
    await this.c.db.transaction((q) => q.run(`UPDATE jobs SET state = ?, attempts = ?, last_error = ?, updated_at = ?,
        locked_by = CASE WHEN ? THEN NULL ELSE locked_by END, locked_until = CASE WHEN ? THEN NULL ELSE locked_until END
      WHERE id = ? AND state <> 'done'`, [u.state, u.attempts, u.lastError, nowIso(), release, release, id]), 'mirroring job');
  }

  async listJobs(filter: { storyId?: string; state?: JobState; limit?: number } = {}): Promise<Job[]> {
    const parts: string[] = [];
    const args: unknown[] = [];
    if (filter.storyId !== undefined) { parts.push('story_id = ?'); args.push(filter.storyId); }
    if (filter.state !== undefined) { parts.push('state = ?'); args.push(filter.state); }
    const w = parts.length ? `WHERE ${parts.join(' AND ')}` : '';
    const limit = filter.limit !== undefined ? `LIMIT ${Math.max(0, Math.floor(filter.limit))}` : '';
    return (await this.c.db.all(`SELECT * FROM jobs ${w} ORDER BY seq ${limit}`, args)).map(this.c.rows.toJob);
  }

  async jobCounts(storyId?: string): Promise<Record<JobState, number>> {
    const rows = await this.c.db.all(`SELECT state, count(*) AS n FROM jobs ${storyId !== undefined ? 'WHERE story_id = ?' : ''} GROUP BY state`,
      storyId !== undefined ? [storyId] : []);
    const out: Record<JobState, number> = { queued: 0, running: 0, done: 0, failed: 0 };
    for (const r of rows) out[r.state as JobState] = Number(r.n);
    return out;
  }
}
