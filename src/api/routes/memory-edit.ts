import type { FastifyInstance } from 'fastify';
import { UsageError } from '../../errors.js';
import { addEntity, decideProposals, editEntity, entitySheet, factLines, findEntity, mergeEntities, parseTurnNumber, pendingProposals, removeEntity, removeFact, setFact } from '../../memory/ops.js';
import type { EntityKind } from '../../store/types.js';
import { callerOf, loadStory } from '../auth.js';
import { errors } from '../schemas.js';
import type { ApiContext } from '../server.js';

/**
 * Correcting story memory over HTTP (docs/memory.md): the same operations as `luna entity|fact|memory review`,
 * on stories of the caller's account only (loadStory refuses any other: 404).
 */
const obj = { type: 'object', additionalProperties: true } as const;
const list = { type: 'object', properties: { data: { type: 'array', items: obj } } } as const;
const ref = { type: 'string', minLength: 1, maxLength: 200 } as const;
const storyP = { type: 'object', properties: { id: ref }, required: ['id'], additionalProperties: false } as const;
const entityP = { type: 'object', properties: { id: ref, entity: ref }, required: ['id', 'entity'], additionalProperties: false } as const;
const factP = { type: 'object', properties: { id: ref, entity: ref, key: ref }, required: ['id', 'entity', 'key'], additionalProperties: false } as const;
const turnQ = { type: 'string', pattern: '^[0-9]+$' } as const;
const strings = { type: 'array', items: { type: 'string', maxLength: 200 }, maxItems: 500 } as const;

export function registerMemoryEditRoutes(app: FastifyInstance, _ctx: ApiContext): void {
  app.get<{ Params: { id: string; entity: string } }>(
    '/v1/stories/:id/entities/:entity',
    { schema: { summary: 'One entity by id, name or alias: its sheet and facts with history and source turns', tags: ['memory'], params: entityP, response: { 200: obj, ...errors } } },
    async (req) => {
      const caller = callerOf(req);
      const story = await loadStory(caller, req.params.id);
      return entitySheet(caller.store, story, await findEntity(caller.store, story, req.params.entity));
    },
  );

  app.post<{ Params: { id: string }; Body: { name: string; kind?: string; summary?: string; aliases?: string[] } }>(
    '/v1/stories/:id/entities',
    {
      schema: {
        summary: 'Add an entity the story has missed, for the whole story (a name or alias it has already is a 400)', tags: ['memory'], params: storyP,
        body: {
          type: 'object', properties: { name: { type: 'string', maxLength: 200 }, kind: { type: 'string' }, summary: { type: 'string', maxLength: 4000 }, aliases: strings },
          required: ['name'], additionalProperties: false,
        },
        response: { 201: obj, ...errors },
      },
    },
    async (req, reply) => {
      const caller = callerOf(req);
      const story = await loadStory(caller, req.params.id);
      const b = req.body;
      return reply.status(201).send(await addEntity(caller.store, story, { name: b.name, kind: b.kind as EntityKind | undefined, description: b.summary, aliases: b.aliases }));
    },
  );

  app.delete<{ Params: { id: string; entity: string } }>(
    '/v1/stories/:id/entities/:entity',
    {
      schema: {
        summary: 'Remove an entity and its facts, their history too (merge it instead to keep its facts)', tags: ['memory'], params: entityP,
        response: { 200: { type: 'object', properties: { removed: { type: 'string' }, name: { type: 'string' }, factsRemoved: { type: 'integer' } } }, ...errors },
      },
    },
    async (req) => {
      const caller = callerOf(req);
      const story = await loadStory(caller, req.params.id);
      const { entity, factsRemoved } = await removeEntity(caller.store, story, req.params.entity);
      return { removed: entity.id, name: entity.name, factsRemoved };
    },
  );

  app.patch<{ Params: { id: string; entity: string }; Body: { name?: string; kind?: string; summary?: string; aliases?: string[] } }>(
    '/v1/stories/:id/entities/:entity',
    {
      schema: {
        summary: 'Change an entity: name (the old one becomes an alias), kind, summary, aliases (replaced)', tags: ['memory'], params: entityP,
        body: { type: 'object', properties: { name: { type: 'string', maxLength: 200 }, kind: { type: 'string' }, summary: { type: 'string', maxLength: 4000 }, aliases: strings }, additionalProperties: false },
        response: { 200: obj, ...errors },
      },
    },
    async (req) => {
      const caller = callerOf(req);
      const story = await loadStory(caller, req.params.id);
      const entity = await findEntity(caller.store, story, req.params.entity);
      const b = req.body ?? {};
      return editEntity(caller.store, story, entity, { name: b.name, kind: b.kind as EntityKind | undefined, description: b.summary, aliases: b.aliases });
    },
  );

  app.post<{ Params: { id: string; entity: string }; Body: { into: string } }>(
    '/v1/stories/:id/entities/:entity/merge',
    {
      schema: {
        summary: 'Merge this entity into another: name, aliases and facts move, this one is removed (one transaction)', tags: ['memory'], params: entityP,
        body: { type: 'object', properties: { into: ref }, required: ['into'], additionalProperties: false }, response: { 200: obj, ...errors },
      },
    },
    async (req) => {
      const caller = callerOf(req);
      const story = await loadStory(caller, req.params.id);
      return mergeEntities(caller.store, story, req.params.entity, req.body.into);
    },
  );

  app.get<{ Params: { id: string }; Querystring: { entity?: string; history?: string } }>(
    '/v1/stories/:id/facts',
    {
      schema: {
        summary: 'Facts as they stand at the head of the current branch (history=true adds older values and removals)', tags: ['memory'], params: storyP,
        querystring: { type: 'object', properties: { entity: ref, history: { type: 'string', enum: ['true', 'false'] } }, additionalProperties: false },
        response: { 200: list, ...errors },
      },
    },
    async (req) => {
      const caller = callerOf(req);
      const story = await loadStory(caller, req.params.id);
      const entity = req.query.entity === undefined ? undefined : await findEntity(caller.store, story, req.query.entity);
      return { data: await factLines(caller.store, story, { entity, history: req.query.history === 'true' }) };
    },
  );

  app.put<{ Params: { id: string; entity: string; key: string }; Body: { value: string; from?: number } }>(
    '/v1/stories/:id/entities/:entity/facts/:key',
    {
      schema: {
        summary: 'Set a fact from a turn on (default: the head); the old value is kept as history', tags: ['memory'], params: factP,
        body: { type: 'object', properties: { value: { type: 'string', maxLength: 2000 }, from: { type: 'integer', minimum: 0 } }, required: ['value'], additionalProperties: false },
        response: { 200: obj, ...errors },
      },
    },
    async (req) => {
      const caller = callerOf(req);
      const story = await loadStory(caller, req.params.id);
      const entity = await findEntity(caller.store, story, req.params.entity);
      return setFact(caller.store, story, entity, req.params.key, req.body.value, req.body.from);
    },
  );

  app.delete<{ Params: { id: string; entity: string; key: string }; Querystring: { from?: string } }>(
    '/v1/stories/:id/entities/:entity/facts/:key',
    {
      schema: {
        summary: 'Remove a fact from a turn on (a tombstone; the history stays)', tags: ['memory'], params: factP,
        querystring: { type: 'object', properties: { from: turnQ }, additionalProperties: false }, response: { 200: obj, ...errors },
      },
    },
    async (req) => {
      const caller = callerOf(req);
      const story = await loadStory(caller, req.params.id);
      const entity = await findEntity(caller.store, story, req.params.entity);
      return removeFact(caller.store, story, entity, req.params.key, parseTurnNumber(req.query.from, 'from'));
    },
  );

  app.get<{ Params: { id: string } }>(
    '/v1/stories/:id/memory/review',
    { schema: { summary: 'Memory changes waiting for review (agents.dreamer.review)', tags: ['memory'], params: storyP, response: { 200: list, ...errors } } },
    async (req) => {
      const caller = callerOf(req);
      const story = await loadStory(caller, req.params.id);
      return { data: await pendingProposals(caller.store, story) };
    },
  );

  app.post<{ Params: { id: string }; Body: { accept?: string[] | 'all'; reject?: string[] | 'all' } }>(
    '/v1/stories/:id/memory/review',
    {
      schema: {
        summary: 'Accept (write) or reject pending memory changes: {"accept": [ids]} or {"reject": "all"}; all or nothing', tags: ['memory'], params: storyP,
        body: {
          type: 'object', additionalProperties: false,
          properties: { accept: { anyOf: [strings, { type: 'string', enum: ['all'] }] }, reject: { anyOf: [strings, { type: 'string', enum: ['all'] }] } },
        },
        response: { 200: list, ...errors },
      },
    },
    async (req) => {
      const caller = callerOf(req);
      const story = await loadStory(caller, req.params.id);
      const b = req.body ?? {};
      if ((b.accept === undefined) === (b.reject === undefined)) throw new UsageError('give exactly one of accept or reject', { hint: '{"accept": ["id", …]} or {"reject": "all"}' });
      const accept = b.accept !== undefined;
      return { data: await decideProposals(caller.store, story, (accept ? b.accept : b.reject)!, accept) };
    },
  );
}
