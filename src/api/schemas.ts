import { UsageError } from '../errors.js';

/** JSON schemas shared by the routes (they also make /openapi.json). */
export const errorSchema = {
  type: 'object',
  properties: { error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' }, hint: { type: 'string' } }, required: ['code', 'message'] } },
} as const;

export const storyIdParams = { type: 'object', properties: { id: { type: 'string', minLength: 1, maxLength: 100 } }, required: ['id'], additionalProperties: false } as const;

export const pageQuery = {
  type: 'object',
  properties: {
    limit: { type: 'string', pattern: '^[0-9]{1,4}$', description: 'page size, 1–200 (default 50)' },
    cursor: { type: 'string', maxLength: 200 },
  },
  additionalProperties: false,
} as const;

export const storySchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    accountId: { type: 'string' },
    title: { type: 'string' },
    premise: { type: 'string' },
    style: { type: 'string' },
    headTurnId: { type: ['string', 'null'] },
    authorNote: { type: 'string' },
    turnCount: { type: 'integer' },
    createdAt: { type: 'string' },
    updatedAt: { type: 'string' },
  },
} as const;

export const turnSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    storyId: { type: 'string' },
    parentId: { type: ['string', 'null'] },
    depth: { type: 'integer' },
    action: { type: 'string' },
    prose: { type: 'string' },
    plan: {},
    note: { type: 'string' },
    ooc: { type: 'string' },
    continued: { type: 'boolean' },
    editedAt: { type: ['string', 'null'] },
    createdAt: { type: 'string' },
  },
} as const;

export const pageOf = (item: object) => ({ type: 'object', properties: { data: { type: 'array', items: item }, nextCursor: { type: ['string', 'null'] } } }) as const;

export const errors = { 400: errorSchema, 401: errorSchema, 404: errorSchema } as const;

/**
 * Offset pagination with an opaque cursor. Every listing returns `{ data, nextCursor }`; nextCursor is null
 * on the last page.
 */
export function paginate<T>(items: T[], q: { limit?: number | string; cursor?: string }): { data: T[]; nextCursor: string | null } {
  const limit = q.limit === undefined ? 50 : Number(q.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 200) throw new UsageError(`querystring.limit: must be from 1 to 200, found ${String(q.limit)}`);
  let offset = 0;
  if (q.cursor) {
    const n = Number(Buffer.from(q.cursor, 'base64url').toString('utf8'));
    if (!Number.isInteger(n) || n < 0) throw new UsageError('query.cursor: not a cursor this API issued', { hint: 'pass nextCursor from the previous page unchanged' });
    offset = n;
  }
  const data = items.slice(offset, offset + limit);
  const next = offset + limit < items.length ? Buffer.from(String(offset + limit), 'utf8').toString('base64url') : null;
  return { data, nextCursor: next };
}
