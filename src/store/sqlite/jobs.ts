import { BusyError, NotFoundError } from '../../errors.js';
import { newId, nowIso } from '../ids.js';
import type { Job, JobKind, JobState } from '../types.js';
import { writeTx, type Db } from './connection.js';
import { toJob } from './rows.js';

type Row = Record<string, unknown>;
export interface NewJob { kind: JobKind; storyId: string; turnId: string | null; payload?: Record<string, unknown>; maxAttempts?: number }

export const DEFAULT_MAX_ATTEMPTS = 3;

/** Inserts without its own transaction (commitTurn enqueues inside the turn's). */
export function insertJobs(db: Db, jobs: NewJob[]): string[] {
  const stmt = db.prepare(`INSERT INTO jobs (id, kind, story_id, turn_id, payload, state, attempts, max_attempts, run_after, created_at, updated_at)
                           VALUES (?, ?, ?, ?, ?, 'queued', 0, ?, ?, ?, ?)`);
  const now = nowIso();
  return jobs.map((j) => {
    const id = newId();
    stmt.run(id, j.kind, j.storyId, j.turnId, JSON.stringify(j.payload ?? {}), j.maxAttempts ?? DEFAULT_MAX_ATTEMPTS, now, now, now);
    return id;
  });
}

export class SqliteJobs {
  constructor(private readonly db: Db) {}

  private get(id: string): Job {
    const r = this.db.prepare('SELECT * FROM jobs WHERE id = ?').get(id) as Row | undefined;
    if (!r) throw new NotFoundError(`job ${id} not found`);
    return toJob(r);
  }

  enqueueJobs(jobs: NewJob[]): Job[] {
    return writeTx(this.db, () => insertJobs(this.db, jobs).map((id) => this.get(id)));
  }

  /**
   * BEGIN IMMEDIATE takes the write lock before choosing, so two processes can never pick the same job.
   * A running job whose lock expired (its worker died) is claimable again; claiming counts as an attempt,
   * so a job that keeps killing its worker ends 'failed' instead of looping forever.
   */
  claimJob(workerId: string, lockMs: number, kinds?: JobKind[]): Job | null {
    return writeTx(this.db, () => {
      const now = nowIso();
      this.db
        .prepare(`UPDATE jobs SET state = 'failed', locked_by = NULL, locked_until = NULL, updated_at = ?,
                    last_error = coalesce(last_error, 'worker lock expired') || ' (gave up after ' || attempts || ' attempts)'
                  WHERE state = 'running' AND locked_until < ? AND attempts >= max_attempts`)
        .run(now, now);
      const kindSql = kinds && kinds.length ? `AND kind IN (${kinds.map(() => '?').join(', ')})` : '';
      const row = this.db
        .prepare(`UPDATE jobs SET state = 'running', locked_by = ?, locked_until = ?, attempts = attempts + 1, updated_at = ?
                  WHERE id = (SELECT id FROM jobs
                              WHERE ((state = 'queued' AND run_after <= ?) OR (state = 'running' AND locked_until < ?)) ${kindSql}
                              ORDER BY run_after, seq LIMIT 1)
                  RETURNING *`)
        .get(workerId, new Date(Date.now() + lockMs).toISOString(), now, now, now, ...(kinds ?? [])) as Row | undefined;
      return row ? toJob(row) : null;
    });
  }

  private held(id: string, workerId: string): Job {
    const job = this.get(id);
    if (job.state !== 'running' || job.lockedBy !== workerId) {
      throw new BusyError(`job ${id} is not held by worker ${workerId} (state ${job.state}, held by ${job.lockedBy ?? 'nobody'})`, {
        hint: 'its lock probably expired and another worker took it',
      });
    }
    return job;
  }

  completeJob(id: string, workerId: string): void {
    writeTx(this.db, () => {
      this.held(id, workerId);
      this.db
        .prepare(`UPDATE jobs SET state = 'done', locked_by = NULL, locked_until = NULL, last_error = NULL, updated_at = ? WHERE id = ?`)
        .run(nowIso(), id);
    });
  }

  failJob(id: string, workerId: string, error: string, backoffMs: number): Job {
    return writeTx(this.db, () => {
      const job = this.held(id, workerId);
      const now = Date.now();
      const giveUp = job.attempts >= job.maxAttempts;
      this.db
        .prepare(`UPDATE jobs SET state = ?, locked_by = NULL, locked_until = NULL, last_error = ?, run_after = ?, updated_at = ? WHERE id = ?`)
        .run(giveUp ? 'failed' : 'queued', error, new Date(now + Math.max(0, backoffMs)).toISOString(), new Date(now).toISOString(), id);
      return this.get(id);
    });
  }

  markJobsRelayed(ids: string[], owner: string): string[] {
    if (!ids.length) return [];
    return writeTx(this.db, () => {
      const stmt = this.db.prepare(`UPDATE jobs SET state = 'running', locked_by = ?, locked_until = NULL, updated_at = ? WHERE id = ? AND state = 'queued'`);
      const now = nowIso();
      return ids.filter((id) => stmt.run(owner, now, id).changes > 0);
    });
  }

  mirrorJob(id: string, u: { state: JobState; attempts: number; lastError: string | null }): void {
    const release = u.state === 'done' || u.state === 'failed';
    this.db
      .prepare(`UPDATE jobs SET state = ?, attempts = ?, last_error = ?, updated_at = ?,
                  locked_by = CASE WHEN ? THEN NULL ELSE locked_by END, locked_until = CASE WHEN ? THEN NULL ELSE locked_until END
                WHERE id = ? AND state <> 'done'`)
      .run(u.state, u.attempts, u.lastError, nowIso(), release ? 1 : 0, release ? 1 : 0, id);
  }

  listJobs(filter: { storyId?: string; state?: JobState; limit?: number } = {}): Job[] {
    const parts: string[] = [];
    const args: unknown[] = [];
    if (filter.storyId !== undefined) { parts.push('story_id = ?'); args.push(filter.storyId); }
    if (filter.state !== undefined) { parts.push('state = ?'); args.push(filter.state); }
    const w = parts.length ? `WHERE ${parts.join(' AND ')}` : '';
    const limit = filter.limit !== undefined ? `LIMIT ${Math.max(0, Math.floor(filter.limit))}` : '';
    return (this.db.prepare(`SELECT * FROM jobs ${w} ORDER BY seq ${limit}`).all(...args) as Row[]).map(toJob);
  }

  jobCounts(storyId?: string): Record<JobState, number> {
    const rows = this.db
      .prepare(`SELECT state, count(*) AS n FROM jobs ${storyId !== undefined ? 'WHERE story_id = ?' : ''} GROUP BY state`)
      .all(...(storyId !== undefined ? [storyId] : [])) as Row[];
    const out: Record<JobState, number> = { queued: 0, running: 0, done: 0, failed: 0 };
    for (const r of rows) out[r.state as JobState] = Number(r.n);
    return out;
  }
}
