import type { FastifyInstance } from 'fastify';
import { branchSet, currentFacts } from '../../pipeline/memory.js';
import { curateContext } from '../../pipeline/preprocessor.js';
import { callerOf, loadStory } from '../auth.js';
import { errors, pageQuery, paginate, storyIdParams } from '../schemas.js';
import type { ApiContext } from '../server.js';

const obj = { type: 'object', additionalProperties: true } as const;

/** Read-only views of a story's memory: the context viewer, lore, entities with their current facts. */
export function registerMemoryRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get<{ Params: { id: string }; Querystring: { action: string } }>(
    '/v1/stories/:id/context',
    {
      schema: {
        summary: 'The context viewer: what the Strategist and Writer would get for an action (no model call; BM25 view)',
        tags: ['memory'],
        params: storyIdParams,
        querystring: { type: 'object', properties: { action: { type: 'string', minLength: 1, maxLength: 4000 } }, required: ['action'], additionalProperties: false },
        response: { 200: obj, ...errors },
      },
    },
    async (req) => {
      const caller = callerOf(req);
      const story = await loadStory(caller, req.params.id);
      const curated = await curateContext({ store: caller.store, story, headId: story.headTurnId, action: req.query.action, notes: { story: story.authorNote, turn: '' }, config: ctx.loaded.config.context });
      return { storyId: story.id, action: req.query.action, ...curated.context, strategistTokens: curated.strategistTokens, text: curated.text, strategistText: curated.strategistText };
    },
  );

  app.get<{ Params: { id: string }; Querystring: { limit?: string; cursor?: string } }>(
    '/v1/stories/:id/lore',
    { schema: { summary: "The story's lore entries", tags: ['memory'], params: storyIdParams, querystring: pageQuery, response: { 200: { type: 'object', properties: { data: { type: 'array', items: obj }, nextCursor: { type: ['string', 'null'] } } }, ...errors } } },
    async (req) => {
      const caller = callerOf(req);
      const story = await loadStory(caller, req.params.id);
      return paginate(await caller.store.listLore(story.id), req.query);
    },
  );

  app.get<{ Params: { id: string }; Querystring: { limit?: string; cursor?: string } }>(
    '/v1/stories/:id/entities',
    { schema: { summary: 'Entities known on the current branch, with their current facts', tags: ['memory'], params: storyIdParams, querystring: pageQuery, response: { 200: { type: 'object', properties: { data: { type: 'array', items: obj }, nextCursor: { type: ['string', 'null'] } } }, ...errors } } },
    async (req) => {
      const caller = callerOf(req);
      const story = await loadStory(caller, req.params.id);
      const [entities, facts, ids] = await Promise.all([caller.store.listEntities(story.id), caller.store.listFacts(story.id), caller.store.getBranchIds(story.id, story.headTurnId)]);
      const onBranch = branchSet(ids);
      const visible = (turnId: string | null) => turnId === null || onBranch.has(turnId);
      const current = currentFacts(facts, (f) => visible(f.turnId));
      const list = entities
        .filter((e) => visible(e.firstTurnId))
        .map((e) => ({ id: e.id, name: e.name, kind: e.kind, aliases: e.aliases, description: e.description, firstTurnId: e.firstTurnId, facts: current.get(e.id) ?? [] }));
      return paginate(list, req.query);
    },
  );
}
