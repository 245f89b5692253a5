import type { FastifyInstance } from 'fastify';
import { editProse, listTakes, setAuthorNote, switchTake, type Take } from '../../story/steer.js';
import { callerOf, loadStory } from '../auth.js';
import { errors, errorSchema, storyIdParams, turnSchema } from '../schemas.js';
import type { ApiContext } from '../server.js';

/** Steering a story over HTTP: the Author's Note, editing a turn's prose, and the takes of any turn (docs/api.md). */

const turnParams = { type: 'object', properties: { id: { type: 'string', minLength: 1 }, turnId: { type: 'string', minLength: 1 } }, required: ['id', 'turnId'], additionalProperties: false } as const;
const takeSchema = {
  type: 'object',
  properties: { n: { type: 'integer' }, current: { type: 'boolean' }, after: { type: 'integer', description: 'turns played after this take on its latest branch' }, turn: turnSchema },
} as const;
const takeView = (t: Take) => ({ n: t.n, current: t.current, after: t.after, turn: t.turn });

export function registerSteerRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.put<{ Params: { id: string }; Body: { note: string } }>(
    '/v1/stories/:id/note',
    {
      schema: {
        summary: "Set the story's Author's Note: standing instructions the Writer and Strategist get every turn (\"\" clears it)",
        tags: ['steering'],
        params: storyIdParams,
        body: { type: 'object', properties: { note: { type: 'string', maxLength: 10_000 } }, required: ['note'], additionalProperties: false },
        response: { 200: { type: 'object', properties: { storyId: { type: 'string' }, authorNote: { type: 'string' } } }, ...errors },
      },
    },
    async (req) => {
      const caller = callerOf(req);
      const story = await loadStory(caller, req.params.id);
      const saved = await setAuthorNote(caller.store, story, req.body.note.trim() ? req.body.note : null, 'body.note');
      return { storyId: saved.id, authorNote: saved.authorNote };
    },
  );

  app.put<{ Params: { id: string; turnId: string }; Body: { prose: string } }>(
    '/v1/stories/:id/turns/:turnId/prose',
    {
      schema: {
        summary: "Replace a turn's prose (\"head\" for the current turn): the search index follows; its embedding and the facts the Dreamer read from it are redone (queued); the plan's entities and facts stay",
        tags: ['steering'],
        params: turnParams,
        body: { type: 'object', properties: { prose: { type: 'string', maxLength: 200_000 } }, required: ['prose'], additionalProperties: false },
        response: { 200: turnSchema, ...errors, 409: errorSchema },
      },
    },
    async (req) => {
      const caller = callerOf(req);
      const story = await loadStory(caller, req.params.id);
      return (await editProse(caller.store, ctx.loaded.config, story, req.params.turnId, req.body.prose, 'body.prose')).turn;
    },
  );

  app.get<{ Params: { id: string; turnId: string } }>(
    '/v1/stories/:id/turns/:turnId/takes',
    {
      schema: {
        summary: 'The takes of a turn ("head" for the current turn): every version with the same parent, oldest first (make one with POST /turns {mode: "retry", at})',
        tags: ['steering'],
        params: turnParams,
        response: { 200: { type: 'object', properties: { depth: { type: 'integer' }, takes: { type: 'array', items: takeSchema } } }, ...errors },
      },
    },
    async (req) => {
      const caller = callerOf(req);
      const story = await loadStory(caller, req.params.id);
      const { of, takes } = await listTakes(caller.store, story, req.params.turnId);
      return { depth: of.depth, takes: takes.map(takeView) };
    },
  );

  app.post<{ Params: { id: string; turnId: string }; Body: { take: number } }>(
    '/v1/stories/:id/turns/:turnId/takes',
    {
      schema: {
        summary: 'Switch to take N of a turn: the head goes to the latest turn played after that take',
        tags: ['steering'],
        params: turnParams,
        body: { type: 'object', properties: { take: { type: 'integer', minimum: 1 } }, required: ['take'], additionalProperties: false },
        response: { 200: { type: 'object', properties: { storyId: { type: 'string' }, headTurnId: { type: 'string' }, depth: { type: 'integer' }, take: takeSchema } }, ...errors, 409: errorSchema },
      },
    },
    async (req) => {
      const caller = callerOf(req);
      const story = await loadStory(caller, req.params.id);
      const { take, head } = await switchTake(caller.store, story, req.params.turnId, req.body.take);
      return { storyId: story.id, headTurnId: head.id, depth: head.depth, take: takeView(take) };
    },
  );
}
