import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { LunaError, NotFoundError } from '../../errors.js';
import type { TurnEvent } from '../../pipeline/events.js';
import type { TurnInput } from '../../pipeline/run-turn.js';
import { listBranches } from '../../story/branches.js';
import { branchFrom, retryAction, switchHead, undo } from '../../story/ops.js';
import { retryAt } from '../../story/steer.js';
import { type Caller, callerOf, loadStory } from '../auth.js';
import { HttpError } from '../errors.js';
import { errors, errorSchema, pageOf, pageQuery, paginate, storyIdParams, turnSchema } from '../schemas.js';
import type { ApiContext } from '../server.js';
import { disconnectSignal, openSse, wantsStream } from '../sse.js';

interface PlayBody {
  action?: string;
  mode?: 'continue' | 'retry' | 'from';
  from?: string;
  continue?: boolean;
  note?: string;
  ooc?: string;
  at?: string;
}

const playBody = {
  type: 'object',
  properties: {
    action: { type: 'string', maxLength: 4000, description: 'what the character does; optional with mode "retry" (replays the head action)' },
    mode: { type: 'string', enum: ['continue', 'retry', 'from'], default: 'continue', description: 'continue after the head; retry: another take of the head; from: branch after turn `from`' },
    from: { type: 'string', maxLength: 100, description: 'with mode "from": a turn id (or unique prefix), or "root"' },
    continue: { type: 'boolean', description: 'the Writer goes on without a new action (give no action)' },
    note: { type: 'string', maxLength: 4000, description: "a note for this turn only, placed with the story's Author's Note" },
    ooc: { type: 'string', maxLength: 4000, description: 'an out-of-character instruction to the Strategist (shapes the plan; not an action); alone it continues the story' },
    at: { type: 'string', maxLength: 100, description: 'with mode "retry": the turn to make another take of (id or unique prefix; default the head); reuses its action and steering unless given' },
  },
  additionalProperties: false,
} as const;

const turnParams = { type: 'object', properties: { id: { type: 'string', minLength: 1 }, turnId: { type: 'string', minLength: 1 } }, required: ['id', 'turnId'], additionalProperties: false } as const;

export function registerTurnRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.post<{ Params: { id: string }; Body: PlayBody }>(
    '/v1/stories/:id/turns',
    {
      schema: {
        summary: 'Play a turn. With Accept: text/event-stream the TurnEvents stream as SSE (a final `done` or `error`); otherwise the finished turn returns as JSON',
        tags: ['turns'],
        params: storyIdParams,
        body: playBody,
        response: { 200: { type: 'object', additionalProperties: true }, 409: errorSchema, 503: errorSchema, 402: errorSchema, ...errors },
      },
    },
    async (req, reply) => playTurn(ctx, req, reply),
  );

  app.get<{ Params: { id: string }; Querystring: { limit?: string; cursor?: string } }>(
    '/v1/stories/:id/turns',
    { schema: { summary: 'The turns of the current branch, oldest first', tags: ['turns'], params: storyIdParams, querystring: pageQuery, response: { 200: pageOf(turnSchema), ...errors } } },
    async (req) => {
      const caller = callerOf(req);
      const story = await loadStory(caller, req.params.id);
      return paginate(await caller.store.getBranch(story.id, story.headTurnId), req.query);
    },
  );

  app.get<{ Params: { id: string; turnId: string } }>(
    '/v1/stories/:id/turns/:turnId',
    { schema: { summary: 'A finished turn (e.g. one whose stream the client lost)', tags: ['turns'], params: turnParams, response: { 200: turnSchema, ...errors } } },
    async (req) => {
      const caller = callerOf(req);
      const story = await loadStory(caller, req.params.id);
      const turn = await caller.store.getTurn(req.params.turnId);
      if (!turn || turn.storyId !== story.id) throw new NotFoundError(`no turn ${req.params.turnId} in story ${story.id}`, { hint: 'GET /v1/stories/ID/turns lists the branch' });
      return turn;
    },
  );

  app.get<{ Params: { id: string }; Querystring: { limit?: string; cursor?: string } }>(
    '/v1/stories/:id/branches',
    { schema: { summary: 'Every branch tip, oldest first (switch with POST /head)', tags: ['turns'], params: storyIdParams, querystring: pageQuery, response: { 200: pageOf({ type: 'object', properties: { tip: turnSchema, current: { type: 'boolean' } } }), ...errors } } },
    async (req) => {
      const caller = callerOf(req);
      const story = await loadStory(caller, req.params.id);
      const tips = (await listBranches(caller.store, story)).map((b) => ({ tip: b.leaf, current: b.leaf.id === story.headTurnId }));
      return paginate(tips, req.query);
    },
  );

  const headResponse = { 200: { type: 'object', properties: { storyId: { type: 'string' }, headTurnId: { type: ['string', 'null'] }, depth: { type: 'integer' } } }, ...errors, 409: errorSchema };
  app.post<{ Params: { id: string } }>('/v1/stories/:id/undo', { schema: { summary: 'Move the head back one turn (the undone turn stays as a branch)', tags: ['turns'], params: storyIdParams, response: headResponse } }, async (req) => {
    const caller = callerOf(req);
    const story = await loadStory(caller, req.params.id);
    const { head } = await undo(caller.store, story);
    return { storyId: story.id, headTurnId: head?.id ?? null, depth: head?.depth ?? 0 };
  });

  app.post<{ Params: { id: string }; Body: { turn: string } }>(
    '/v1/stories/:id/head',
    {
      schema: {
        summary: 'Switch branch: move the head to a turn (id, unique prefix, or "root")',
        tags: ['turns'],
        params: storyIdParams,
        body: { type: 'object', properties: { turn: { type: 'string', minLength: 1, maxLength: 100 } }, required: ['turn'], additionalProperties: false },
        response: headResponse,
      },
    },
    async (req) => {
      const caller = callerOf(req);
      const story = await loadStory(caller, req.params.id);
      const target = await switchHead(caller.store, story, req.body.turn);
      return { storyId: story.id, headTurnId: target?.id ?? null, depth: target?.depth ?? 0 };
    },
  );
}

async function turnInput(caller: Caller, storyId: string, body: PlayBody): Promise<TurnInput> {
  const story = await loadStory(caller, storyId);
  const mode = body.mode ?? 'continue';
  let action = body.action ?? '';
  if (mode !== 'from' && body.from !== undefined) throw new HttpError(400, 'bad_request', 'body.from: only with mode "from"');
  if (mode !== 'retry' && body.at !== undefined) throw new HttpError(400, 'bad_request', 'body.at: only with mode "retry"');
  if (body.continue && action.trim()) throw new HttpError(400, 'bad_request', 'body.continue: give no action with it');
  if (mode === 'retry') {
    if (body.at === undefined) await retryAction(caller.store, story); // "there is no turn to retry yet"
    // Another take of any turn: a sibling of it, with its action and steering unless new ones are given.
    const r = await retryAt(caller.store, story, body.at);
    const continued = !action.trim() && r.continued;
    if (!continued && !action.trim()) action = r.action;
    return { storyId: story.id, action: continued ? '' : action, continue: continued, mode: 'from', fromTurnId: r.parentId, note: body.note ?? r.note, ooc: body.ooc ?? r.ooc };
  }
  const fromTurnId = mode === 'from' ? await branchFrom(caller.store, story, body.from ?? 'root') : undefined;
  // An out-of-character instruction alone is a turn that goes on, steered (as `luna turn ID --ooc`).
  const continued = Boolean(body.continue) || (!action.trim() && body.ooc !== undefined && body.ooc.trim() !== '');
  return { storyId: story.id, action, mode, fromTurnId, continue: continued, note: body.note, ooc: body.ooc };
}

async function playTurn(ctx: ApiContext, req: FastifyRequest<{ Params: { id: string }; Body: PlayBody }>, reply: FastifyReply): Promise<unknown> {
  const caller = callerOf(req);
  const input = await turnInput(caller, req.params.id, req.body ?? {});
  const events = ctx.runner.play(caller.store, input, disconnectSignal(reply), caller.accountId, req.traceSpan);
  // Refusals (503 overloaded, 409 busy) throw here, before any header is sent.
  const first = await events.next();
  if (wantsStream(req)) {
    const sse = openSse(req, reply, ctx.metrics);
    const send = (e: TurnEvent) => sse.event(e.type, e.type === 'done' ? doneBody(e) : e);
    if (!first.done) send(first.value);
    for await (const e of events) send(e);
    sse.end();
    return reply;
  }
  let last: TurnEvent | undefined = first.done ? undefined : first.value;
  const warnings: string[] = [];
  const costs: unknown[] = [];
  const collect = (e: TurnEvent) => {
    if (e.type === 'warning') warnings.push(e.message);
    if (e.type === 'cost') costs.push(e.call);
  };
  if (last) collect(last);
  for await (const e of events) {
    last = e;
    collect(e);
  }
  if (last?.type === 'error') {
    throw new LunaError(last.message, last.exitCode, { hint: last.hint });
  }
  if (last?.type !== 'done') throw new Error('the turn ended without a result');
  return { ...doneBody(last), calls: costs, warnings };
}

/** The done event as clients get it: the turn, its prose and plan, the totals (the plan/turn objects are already JSON). */
function doneBody(e: Extract<TurnEvent, { type: 'done' }>) {
  return { type: 'done', turn: e.turn, prose: e.prose, plan: e.plan, entities: e.entities, totals: e.totals, jobsQueued: e.jobsQueued };
}
