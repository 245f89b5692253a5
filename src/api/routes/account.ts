import type { FastifyInstance } from 'fastify';
import { NotFoundError } from '../../errors.js';
import type { JobState } from '../../store/types.js';
import { callerOf, loadStory } from '../auth.js';
import { errors, pageQuery, paginate } from '../schemas.js';
import type { ApiContext } from '../server.js';

const obj = { type: 'object', additionalProperties: true } as const;

/** The caller's account: its spend and budgets, and its Dreamer jobs. */
export function registerAccountRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get<{ Querystring: { since?: string; until?: string } }>(
    '/v1/cost',
    {
      schema: {
        summary: "Spend of the caller's account from the ledger (by agent and by day), and its budgets and quota",
        tags: ['account'],
        querystring: { type: 'object', properties: { since: { type: 'string', format: 'date-time' }, until: { type: 'string', format: 'date-time' } }, additionalProperties: false },
        response: { 200: obj, ...errors },
      },
    },
    async (req) => {
      const caller = callerOf(req);
      const filter = { accountId: caller.accountId, since: req.query.since, until: req.query.until };
      const [total, byAgent, byDay] = await Promise.all([caller.store.aggregateCalls([], filter), caller.store.aggregateCalls(['agent'], filter), caller.store.aggregateCalls(['day'], filter)]);
      const { budgetStatus } = await import('../../cost/guard.js');
      // The opener's store counts the account's own spend; items about every account (global) stay private.
      const status = await budgetStatus(ctx.store, ctx.loaded.config, caller.accountId).catch(() => null);
      const items = (status?.items ?? []).filter((i) => i.scope === 'account');
      return { accountId: caller.accountId, total: total[0] ?? null, byAgent, byDay, budgets: items };
    },
  );

  app.get<{ Querystring: { story?: string; state?: JobState; limit?: string; cursor?: string } }>(
    '/v1/jobs',
    {
      schema: {
        summary: "Dreamer jobs of the caller's stories (of one story with ?story=ID)",
        tags: ['account'],
        querystring: { type: 'object', properties: { ...pageQuery.properties, story: { type: 'string' }, state: { type: 'string', enum: ['queued', 'running', 'done', 'failed'] } }, additionalProperties: false },
        response: { 200: { type: 'object', properties: { data: { type: 'array', items: obj }, nextCursor: { type: ['string', 'null'] }, counts: obj } }, ...errors },
      },
    },
    async (req) => {
      const caller = callerOf(req);
      const { story: storyId, state } = req.query;
      if (storyId) {
        const story = await loadStory(caller, storyId);
        const [jobs, counts] = await Promise.all([caller.store.listJobs({ storyId: story.id, state, limit: 10_000 }), caller.store.jobCounts(story.id)]);
        return { ...paginate(jobs, req.query), counts };
      }
      const mine = new Set((await caller.store.listStories({ accountId: caller.accountId })).filter((s) => s.accountId === caller.accountId).map((s) => s.id));
      const jobs = (await caller.store.listJobs({ state, limit: 10_000 })).filter((j) => mine.has(j.storyId));
      const counts = { queued: 0, running: 0, done: 0, failed: 0 } as Record<JobState, number>;
      for (const j of jobs) counts[j.state]++;
      return { ...paginate(jobs, req.query), counts };
    },
  );

  app.get<{ Params: { jobId: string } }>(
    '/v1/jobs/:jobId',
    { schema: { summary: 'One Dreamer job', tags: ['account'], params: { type: 'object', properties: { jobId: { type: 'string' } }, required: ['jobId'] }, response: { 200: obj, ...errors } } },
    async (req) => {
      const caller = callerOf(req);
      const mine = new Set((await caller.store.listStories({ accountId: caller.accountId })).filter((s) => s.accountId === caller.accountId).map((s) => s.id));
      const job = (await caller.store.listJobs({ limit: 100_000 })).find((j) => j.id === req.params.jobId && mine.has(j.storyId));
      if (!job) throw new NotFoundError(`no job ${req.params.jobId}`, { hint: 'GET /v1/jobs lists yours' });
      return job;
    },
  );
}
