import type { FastifyInstance } from 'fastify';
import { UsageError } from '../../errors.js';
import { bundleToMarkdown, exportBundleWithIds, storyBundleSchema } from '../../story/bundle.js';
import { imageStoreFor } from '../../images/store.js';
import { markdownImages, removeImages } from '../../story/images.js';
import { createStory } from '../../story/ops.js';
import { callerOf, loadStory } from '../auth.js';
import { errors, errorSchema, pageOf, pageQuery, paginate, storyIdParams, storySchema } from '../schemas.js';
import type { ApiContext } from '../server.js';

const IMPORT_BODY_LIMIT = 32 * 1024 * 1024;

export function registerStoryRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const files = imageStoreFor(ctx.loaded);
  app.post<{ Body: { title: string; premise?: string; style?: string } }>(
    '/v1/stories',
    {
      schema: {
        summary: 'Create a story (the same checks as `luna story new`)',
        tags: ['stories'],
        body: {
          type: 'object',
          properties: { title: { type: 'string', maxLength: 10_000 }, premise: { type: 'string', maxLength: 100_000 }, style: { type: 'string', maxLength: 10_000 } },
          required: ['title'],
          additionalProperties: false,
        },
        response: { 201: storySchema, ...errors },
      },
    },
    async (req, reply) => {
      const caller = callerOf(req);
      const story = await createStory(caller.store, caller.accountId, req.body);
      return reply.status(201).send(story);
    },
  );

  app.get<{ Querystring: { limit?: string; cursor?: string } }>(
    '/v1/stories',
    { schema: { summary: "The caller's stories, newest activity first", tags: ['stories'], querystring: pageQuery, response: { 200: pageOf(storySchema), ...errors } } },
    async (req) => {
      const caller = callerOf(req);
      const all = (await caller.store.listStories({ accountId: caller.accountId })).filter((s) => s.accountId === caller.accountId);
      return paginate(all, req.query);
    },
  );

  app.get<{ Params: { id: string } }>('/v1/stories/:id', { schema: { summary: 'One story', tags: ['stories'], params: storyIdParams, response: { 200: storySchema, ...errors } } }, async (req) => {
    const caller = callerOf(req);
    const story = await loadStory(caller, req.params.id);
    return { ...story, turnCount: await caller.store.countTurns(story.id) };
  });

  app.delete<{ Params: { id: string } }>('/v1/stories/:id', { schema: { summary: 'Delete a story and everything in it (its ledger rows stay)', tags: ['stories'], params: storyIdParams, response: { 200: { type: 'object', properties: { deleted: { type: 'string' }, imagesLeft: { type: 'integer', description: 'pictures the image store would not remove (the operator finds them in the server log)' } } }, ...errors } } }, async (req) => {
    const caller = callerOf(req);
    const story = await loadStory(caller, req.params.id);
    const pictures = (await caller.store.listTurnImages(story.id)).map((img) => img.path);
    await caller.store.deleteStory(story.id);
    const { left } = await removeImages(files, pictures, { home: ctx.loaded.home, storyId: story.id });
    // The tenant learns how many stayed; where they are (bucket, endpoint) is the operator's, in the server log.
    if (left.length) req.log.warn({ storyId: story.id, imagesLeft: left }, 'pictures of a deleted story could not be removed from the image store');
    return { deleted: story.id, imagesLeft: left.length };
  });

  app.get<{ Params: { id: string }; Querystring: { format?: 'json' | 'markdown' } }>(
    '/v1/stories/:id/export',
    {
      schema: {
        summary: 'Export as a story file (luna-story/1 JSON, as `luna story export`) or Markdown',
        tags: ['stories'],
        params: storyIdParams,
        querystring: { type: 'object', properties: { format: { type: 'string', enum: ['json', 'markdown'], default: 'json' } }, additionalProperties: false },
        response: { 404: errorSchema },
      },
    },
    async (req, reply) => {
      const caller = callerOf(req);
      const story = await loadStory(caller, req.params.id);
      const { bundle, ids } = await exportBundleWithIds(caller.store, story.id);
      if (req.query.format === 'markdown') {
        // Images link to their API URLs (GET /v1/stories/:id/images/:imageId), never to server paths.
        const images = await markdownImages(caller.store, files, story.id, ids, { mode: 'api', outFile: null });
        return reply.type('text/markdown; charset=utf-8').send(bundleToMarkdown(bundle, { images }));
      }
      return bundle;
    },
  );

  app.post<{ Body: unknown }>(
    '/v1/stories/import',
    {
      bodyLimit: IMPORT_BODY_LIMIT,
      schema: { summary: 'Import a story file (luna-story/1, the format `luna story import` reads)', tags: ['stories'], body: { type: 'object' }, response: { 201: storySchema, ...errors } },
    },
    async (req, reply) => {
      const caller = callerOf(req);
      const parsed = storyBundleSchema.safeParse(req.body);
      if (!parsed.success) {
        const lines = parsed.error.issues.slice(0, 5).map((i) => `body.${i.path.join('.') || '(top level)'}: ${i.message}`);
        throw new UsageError(`not a LUNA story: ${lines.join('; ')}`, { hint: 'the format is documented in the README (Story files)' });
      }
      const story = await caller.store.importStory(parsed.data, caller.accountId);
      return reply.status(201).send(story);
    },
  );
}
