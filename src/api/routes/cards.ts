import type { FastifyInstance } from 'fastify';
import { readCard } from '../../cards/card.js';
import { cardToBundle } from '../../cards/convert.js';
import { writeCard, type CardFormat } from '../../cards/write.js';
import { UsageError } from '../../errors.js';
import { exportBundle } from '../../story/bundle.js';
import { callerOf, loadStory } from '../auth.js';
import { errors, storyIdParams } from '../schemas.js';
import type { ApiContext } from '../server.js';

/** Character cards over HTTP: the same reader and writer as `luna story import` / `story export --format card` (docs/lore.md). */
const CARD_BODY_LIMIT = 32 * 1024 * 1024;
const TYPES: Record<CardFormat, string> = { png: 'image/png', json: 'application/json; charset=utf-8', charx: 'application/zip' };

export function registerCardRoutes(app: FastifyInstance, _ctx: ApiContext): void {
  // A card arrives as the file itself: PNG or CHARX bytes (JSON cards go as JSON; Fastify parses those).
  for (const type of ['image/png', 'application/zip', 'application/octet-stream']) {
    if (!app.hasContentTypeParser(type)) app.addContentTypeParser(type, { parseAs: 'buffer', bodyLimit: CARD_BODY_LIMIT }, (_req, body, done) => done(null, body));
  }

  app.post<{ Body: unknown }>(
    '/v1/stories/import-card',
    {
      bodyLimit: CARD_BODY_LIMIT,
      schema: { summary: 'Make a story from a Character Card V2/V3: the PNG or CHARX file as the body (image/png, application/zip), or the card JSON', tags: ['stories'], response: { 201: { type: 'object', additionalProperties: true }, ...errors } },
    },
    async (req, reply) => {
      const caller = callerOf(req);
      const body = req.body;
      const bytes = Buffer.isBuffer(body) ? body : body !== null && typeof body === 'object' ? Buffer.from(JSON.stringify(body), 'utf8') : null;
      if (!bytes || bytes.length === 0) throw new UsageError('body: send the card file (PNG, CHARX) or its JSON', { hint: 'Content-Type image/png, application/zip or application/json' });
      const card = readCard(bytes, 'body');
      const { bundle, notes, loreNotes } = cardToBundle(card, 'body');
      const story = await caller.store.importStory(bundle, caller.accountId);
      return reply.status(201).send({ story, spec: card.spec, source: card.source, lore: bundle.lore?.length ?? 0, tags: card.data.tags, image: Boolean(card.image), notes, loreNotes });
    },
  );

  app.get<{ Params: { id: string }; Querystring: { format?: CardFormat } }>(
    '/v1/stories/:id/card',
    {
      schema: {
        summary: 'The story as a Character Card V3: PNG (with chara and ccv3 chunks; the default), CHARX or JSON', tags: ['stories'], params: storyIdParams,
        querystring: { type: 'object', properties: { format: { type: 'string', enum: ['png', 'json', 'charx'], default: 'png' } }, additionalProperties: false },
      },
    },
    async (req, reply) => {
      const caller = callerOf(req);
      const story = await loadStory(caller, req.params.id);
      const format = req.query.format ?? 'png';
      const bytes = writeCard(await exportBundle(caller.store, story.id), format);
      const ext = format === 'charx' ? 'charx' : format;
      return reply.type(TYPES[format]).header('content-disposition', `attachment; filename="${story.id}.${ext}"`).send(bytes);
    },
  );
}
