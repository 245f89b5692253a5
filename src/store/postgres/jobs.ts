import { BusyError, NotFoundError } from '../../errors.js';
import { newId, nowIso } from '../ids.js';
import type { Job, JobKind, JobState } from '../types.js';
import type { PgDb, Q } from './connection.js';
import { toJob } from './rows.js';

export interface NewJob { kind: JobKind; storyId: string; turnId: string | null; payload?: Record<string, unknown>; maxAttempts?: number }
export const DEFAULT_MAX_ATTEMPTS = 3;

/** Inserts inside the caller's transaction; the account comes from each job's story. */
export async function insertJobs(q: Q, jobs: NewJob[]): Promise<string[]> {
  if (jobs.length === 0) return [];
  const ids = jobs.map(() => newId());
  const now = nowIso();
  const rows = await q.rows(`INSERT INTO jobs (id, account_id, kind, story_id, turn_id, payload, state, attempts, max_attempts, run_after, created_at, updated_at)
      SELECT j.id, s.account_id, j.kind, j.story_id, j.turn_id, j.payload, 'queued', 0, j.max_attempts, $6, $6, $6
      FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::jsonb[], $7::int[]) WITH ORDINALITY AS j(id, kind, story_id, turn_id, payload, max_attempts, ord)
      JOIN stories s ON s.id = j.story_id ORDER BY j.ord RETURNING id`,
  [ids, jobs.map((j) => j.kind), jobs.map((j) => j.storyId), jobs.map((j) => j.turnId), jobs.map((j) => JSON.stringify(j.payload ?? {})), now,
    jobs.map((j) => j.maxAttempts ?? DEFAULT_MAX_ATTEMPTS)]);
  if (rows.length !== jobs.length) throw new NotFoundError(`cannot enqueue: story ${jobs.find(() => true)!.storyId} (or another named) not found`);
  return ids;
}

export class PgJobs {
  constructor(private readonly db: PgDb) {}

  private async get(q: Q, id: string): Promise<Job> {
    const r = await q.one('SELECT * FROM jobs WHERE id = $1', [id]);
    if (!r) throw new NotFoundError(`job ${id} not found`);
    return toJob(r);
  }

  enqueueJobs(jobs: NewJob[]): Promise<Job[]> {
    return this.db.tx(async (q) => {
      const ids = await insertJobs(q, jobs);
      const out: Job[] = [];
      for (const id of ids) out.push(await this.get(q, id));
      return out;
    }, 'enqueueing jobs');
  }

  /**
   * FOR UPDATE SKIP LOCKED: concurrent claimers each lock a different row instead of queueing on one, so a
   * job is never handed out twice. Claiming counts as an attempt; an expired lock at maxAttempts ends 'failed'.
   */
  claimJob(workerId: string, lockMs: number, kinds?: JobKind[]): Promise<Job | null> {
    return this.db.tx(async (q) => {
      const now = nowIso();
      await q.run(`UPDATE jobs SET state = 'failed', locked_by = NULL, locked_until = NULL, updated_at = $1,
                     last_error = coalesce(last_error, 'worker lock expired') || ' (gave up after ' || attempts || ' attempts)'
                   WHERE state = 'running' AND locked_until < $1 AND attempts >= max_attempts`, [now]);
      const kindSql = kinds && kinds.length ? 'AND kind = ANY($4::text[])' : '';
      const args: unknown[] = [workerId, new Date(Date.now() + lockMs).toISOString(), now];
      if (kindSql) args.push(kinds);
      const r = await q.one(`UPDATE jobs SET state = 'running', locked_by = $1, locked_until = $2, attempts = attempts + 1, updated_at = $3
                             WHERE seq = (SELECT seq FROM jobs
                                          WHERE ((state = 'queued' AND run_after <= $3) OR (state = 'running' AND locked_until < $3)) ${kindSql}
                                          ORDER BY run_after, seq LIMIT 1 FOR UPDATE SKIP LOCKED)
                             RETURNING *`, args);
      return r ? toJob(r) : null;
    }, 'claiming job');
  }

  private async held(q: Q, id: string, workerId: string): Promise<Job> {
    const r = await q.one('SELECT * FROM jobs WHERE id = $1 FOR UPDATE', [id]);
    if (!r) throw new NotFoundError(`job ${id} not found`);
    const job = toJob(r);
    if (job.state !== 'running' || job.lockedBy !== workerId) {
      throw new BusyError(`job ${id} is not held by worker ${workerId} (state ${job.state}, held by ${job.lockedBy ?? 'nobody'})`, {
        hint: 'its lock probably expired and another worker took it',
      });
    }
    return job;
  }

  completeJob(id: string, workerId: string): Promise<void> {
    return this.db.tx(async (q) => {
      await this.held(q, id, workerId);
      await q.run(`UPDATE jobs SET state = 'done', locked_by = NULL, locked_until = NULL, last_error = NULL, updated_at = $1 WHERE id = $2`, [nowIso(), id]);
    }, 'completing job');
  }

  failJob(id: string, workerId: string, error: string, backoffMs: number): Promise<Job> {
    return this.db.tx(async (q) => {
      const job = await this.held(q, id, workerId);
      const now = Date.now();
      const r = await q.one(`UPDATE jobs SET state = $1, locked_by = NULL, locked_until = NULL, last_error = $2, run_after = $3, updated_at = $4 WHERE id = $5 RETURNING *`,
        [job.attempts >= job.maxAttempts ? 'failed' : 'queued', error, new Date(now + Math.max(0, backoffMs)).toISOString(), new Date(now).toISOString(), id]);
      return toJob(r!);
    }, 'failing job');
  }

  /** Outbox → Redis hand-over: only rows still queued become held by `owner` (no lock expiry: BullMQ owns them). */
  markJobsRelayed(ids: string[], owner: string): Promise<string[]> {
    if (!ids.length) return Promise.resolve([]);
    return this.db.tx(async (q) => {
      const rows = await q.rows(`UPDATE jobs SET state = 'running', locked_by = $1, locked_until = NULL, updated_at = $2 WHERE id = ANY($3::text[]) AND state = 'queued' RETURNING id`, [owner, nowIso(), ids]);
      const marked = new Set(rows.map((r) => r.id as string));
      return ids.filter((id) => marked.has(id));
    }, 'relaying jobs');
  }

  /** Mirrors a BullMQ outcome onto the row; a done row is never reopened, and done/failed release the holder. */
  async mirrorJob(id: string, u: { state: JobState; attempts: number; lastError: string | null }): Promise<void> {
    const release = u.state === 'done' || u.state === 'failed';
    await this.db.tx(async (q) => {
      await q.run(
        `UPDATE jobs SET state = $1, attempts = $2, last_error = $3, updated_at = $4,
           locked_by = CASE WHEN $5 THEN NULL ELSE locked_by END, locked_until = CASE WHEN $5 THEN NULL ELSE locked_until END
         WHERE id = $6 AND state <> 'done'`,
        [u.state, u.attempts, u.lastError, nowIso(), release, id],
      );
    }, 'mirroring job');
  }

  async listJobs(filter: { storyId?: string; state?: JobState; limit?: number } = {}): Promise<Job[]> {
    const parts: string[] = [];
    const args: unknown[] = [];
    if (filter.storyId !== undefined) { args.push(filter.storyId); parts.push(`story_id = $${args.length}`); }
    if (filter.state !== undefined) { args.push(filter.state); parts.push(`state = $${args.length}`); }
    const w = parts.length ? `WHERE ${parts.join(' AND ')}` : '';
    const limit = filter.limit !== undefined ? `LIMIT ${Math.max(0, Math.floor(filter.limit))}` : '';
    return (await this.db.read((q) => q.rows(`SELECT * FROM jobs ${w} ORDER BY seq ${limit}`, args))).map(toJob);
  }

  async jobCounts(storyId?: string): Promise<Record<JobState, number>> {
    const rows = await this.db.read((q) =>
      q.rows(`SELECT state, count(*) AS n FROM jobs ${storyId !== undefined ? 'WHERE story_id = $1' : ''} GROUP BY state`, storyId !== undefined ? [storyId] : []),
    );
    const out: Record<JobState, number> = { queued: 0, running: 0, done: 0, failed: 0 };
    for (const r of rows) out[r.state as JobState] = Number(r.n);
    return out;
  }
}
