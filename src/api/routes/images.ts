import type { FastifyInstance } from 'fastify';
import { ImageStoreError, NotFoundError } from '../../errors.js';
import { imageStoreFor } from '../../images/store.js';
import { HttpError } from '../errors.js';
import type { TurnImage } from '../../store/types.js';
import { callerOf, loadStory } from '../auth.js';
import { errors, pageQuery, paginate } from '../schemas.js';
import type { ApiContext } from '../server.js';

const params = {
  type: 'object', properties: { id: { type: 'string', minLength: 1, maxLength: 100 }, imageId: { type: 'string', minLength: 1, maxLength: 100 } }, required: ['id'], additionalProperties: false,
} as const;
const imageSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' }, turnId: { type: 'string' }, depth: { type: 'integer' }, n: { type: 'integer' }, mime: { type: 'string' },
    width: { type: ['integer', 'null'] }, height: { type: ['integer', 'null'] }, bytes: { type: 'integer' }, prompt: { type: 'string' },
    createdAt: { type: 'string' }, url: { type: 'string' },
  },
} as const;

/** What a tenant sees of an image: no server path (that is the operator's), a URL to fetch it instead. */
function view(storyId: string, i: TurnImage) {
  return { id: i.id, turnId: i.turnId, depth: i.depth, n: i.n, mime: i.mime, width: i.width, height: i.height, bytes: i.bytes, prompt: i.prompt, createdAt: i.createdAt, url: `/v1/stories/${storyId}/images/${i.id}` };
}

/** A story's images (docs/images.md): the listing, and each image's bytes with its own content type. */
export function registerImageRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const files = imageStoreFor(ctx.loaded);
  app.get<{ Params: { id: string }; Querystring: { limit?: string; cursor?: string } }>(
    '/v1/stories/:id/images',
    { schema: { summary: "The story's images, by turn (rendered by the Dreamer on ComfyUI)", tags: ['memory'], params, querystring: pageQuery, response: { 200: { type: 'object', properties: { data: { type: 'array', items: imageSchema }, nextCursor: { type: ['string', 'null'] } } }, ...errors } } },
    async (req) => {
      const caller = callerOf(req);
      const story = await loadStory(caller, req.params.id);
      return paginate((await caller.store.listTurnImages(story.id)).map((i) => view(story.id, i)), req.query);
    },
  );

  app.get<{ Params: { id: string; imageId: string } }>(
    '/v1/stories/:id/images/:imageId',
    { schema: { summary: 'One image, as its bytes (image/png, image/jpeg, image/webp…)', tags: ['memory'], params, response: { ...errors } } },
    async (req, reply) => {
      const caller = callerOf(req);
      const story = await loadStory(caller, req.params.id);
      const img = await caller.store.getTurnImage(story.id, req.params.imageId);
      if (!img) throw new NotFoundError(`no image ${req.params.imageId} in story ${story.id}`, { hint: `GET /v1/stories/${story.id}/images lists them` });
      let bytes: Buffer | null;
      try {
        bytes = await files.get(img.path);
      } catch (err) {
        // The bucket or share is down or refuses us: the image is not gone, the server cannot reach it now. The
        // cause names the bucket and endpoint, which are the operator's: it goes to the log, not to the tenant.
        if (err instanceof ImageStoreError) {
          req.log.error({ imageId: img.id, cause: err.message, hint: err.hint }, 'image store unavailable');
          throw new HttpError(503, 'image_store_unavailable', `image ${img.id} cannot be read from the server's image store right now`, 'try again later; the server log has the cause');
        }
        throw err;
      }
      if (!bytes) {
        throw new NotFoundError(`image ${img.id} is linked to its turn but its file is gone from the server`, { hint: 'the operator can re-run the image job (luna jobs) or restore agents.dreamer.comfyui.imagesDir or imagesStore' });
      }
      return reply
        .header('content-type', img.mime)
        .header('content-length', bytes.length)
        .header('x-content-type-options', 'nosniff')
        .header('cache-control', 'private, max-age=86400')
        .send(bytes);
    },
  );
}
