import type { FastifyInstance } from 'fastify';
import { NotFoundError } from '../../errors.js';
import { addLoreEntry, editLoreEntry, importLorebook } from '../../lore/ops.js';
import type { NewLore } from '../../store/types.js';
import { callerOf, loadStory } from '../auth.js';
import { errors } from '../schemas.js';
import type { ApiContext } from '../server.js';

/** Editing a story's lore over HTTP: the same rules and checks as `luna lore add|edit|rm|import` (docs/lore.md). */
const obj = { type: 'object', additionalProperties: true } as const;
const params = {
  type: 'object', properties: { id: { type: 'string', minLength: 1, maxLength: 100 }, loreId: { type: 'string', minLength: 1, maxLength: 100 } }, required: ['id'], additionalProperties: false,
} as const;
const LOREBOOK_BODY_LIMIT = 32 * 1024 * 1024;
const field = (f: string) => `body.${f}`;
/** Query flags are the words true/false: the app does not coerce query types. */
const flag = { type: 'string', enum: ['true', 'false'] } as const;

export function registerLoreRoutes(app: FastifyInstance, _ctx: ApiContext): void {
  app.post<{ Params: { id: string }; Body: unknown }>(
    '/v1/stories/:id/lore',
    { schema: { summary: 'Add a lore entry (title, body, keywords and the World Info rules)', tags: ['memory'], params, body: { type: 'object' }, response: { 201: obj, ...errors } } },
    async (req, reply) => {
      const caller = callerOf(req);
      const story = await loadStory(caller, req.params.id);
      return reply.status(201).send(await addLoreEntry(caller.store, story.id, req.body, field));
    },
  );

  app.patch<{ Params: { id: string; loreId: string }; Body: Partial<NewLore> }>(
    '/v1/stories/:id/lore/:loreId',
    { schema: { summary: 'Change the named fields of a lore entry', tags: ['memory'], params, body: { type: 'object' }, response: { 200: obj, ...errors } } },
    async (req) => {
      const caller = callerOf(req);
      const story = await loadStory(caller, req.params.id);
      const current = (await caller.store.listLore(story.id)).find((l) => l.id === req.params.loreId);
      if (!current) throw new NotFoundError(`no lore entry ${req.params.loreId} in story ${story.id}`, { hint: `GET /v1/stories/${story.id}/lore lists them` });
      return editLoreEntry(caller.store, story.id, current, req.body ?? {}, field);
    },
  );

  app.delete<{ Params: { id: string; loreId: string } }>(
    '/v1/stories/:id/lore/:loreId',
    { schema: { summary: 'Remove a lore entry', tags: ['memory'], params, response: { 200: { type: 'object', properties: { deleted: { type: 'string' } } }, ...errors } } },
    async (req) => {
      const caller = callerOf(req);
      const story = await loadStory(caller, req.params.id);
      if (!(await caller.store.deleteLore(story.id, req.params.loreId))) throw new NotFoundError(`no lore entry ${req.params.loreId} in story ${story.id}`);
      return { deleted: req.params.loreId };
    },
  );

  app.post<{ Params: { id: string }; Querystring: { replace?: string; allowDuplicates?: string; dryRun?: string }; Body: unknown }>(
    '/v1/stories/:id/lore/import',
    {
      bodyLimit: LOREBOOK_BODY_LIMIT,
      schema: {
        summary: 'Import a lorebook (SillyTavern World Info, NovelAI, AI Dungeon story cards, a character book) in one transaction; notes say what LUNA keeps differently',
        tags: ['memory'], params, body: {},
        querystring: { type: 'object', properties: { replace: flag, allowDuplicates: flag, dryRun: flag }, additionalProperties: false },
        response: { 201: obj, 200: obj, ...errors },
      },
    },
    async (req, reply) => {
      const caller = callerOf(req);
      const story = await loadStory(caller, req.params.id);
      const q = { replace: req.query.replace === 'true', allowDuplicates: req.query.allowDuplicates === 'true', dryRun: req.query.dryRun === 'true' };
      const { book, written } = await importLorebook(caller.store, story.id, req.body, 'body', q);
      return reply.status(q.dryRun ? 200 : 201).send({ format: book.format, imported: written.length, entries: book.entries.length, notes: book.notes, data: written });
    },
  );
}
