import type { FastifyRequest } from 'fastify';
import { NotFoundError } from '../errors.js';
import { withBranchCache } from '../store/branch-cache.js';
import type { Store, Story } from '../store/types.js';
import { HttpError } from './errors.js';

/** Who a request acts for: the key's account, and a store that can only reach it where the database enforces that. */
export interface Caller {
  accountId: string;
  keyId: string;
  store: Store;
}

declare module 'fastify' {
  interface FastifyRequest {
    caller: Caller | null;
  }
}

type Scopable = Store & { forAccount?: (id: string) => Store };

/**
 * Resolves `Authorization: Bearer <key>` with the store's hashed keys. On PostgreSQL the request's store is
 * `forAccount(id)` (row-level security in the database); SQLite has no RLS, so every story route also checks
 * the story's accountId (loadStory below): both stores answer "not found" for another account's story.
 */
export function createAuth(store: Store) {
  const scoped = new Map<string, Store>();
  const scopeFor = (accountId: string): Store => {
    const s = store as Scopable;
    if (typeof s.forAccount !== 'function') return store;
    let hit = scoped.get(accountId);
    if (!hit) {
      if (scoped.size >= 1024) scoped.clear();
      scoped.set(accountId, (hit = withBranchCache(s.forAccount(accountId))));
    }
    return hit;
  };
  return {
    async authenticate(req: FastifyRequest): Promise<Caller> {
      const header = req.headers.authorization;
      const m = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
      if (!m) throw new HttpError(401, 'unauthorized', 'missing API key', 'send Authorization: Bearer <key> (luna account keys create ACCOUNT issues one)');
      const secret = m[1]!;
      const hit = await store.resolveApiKey(secret);
      if (!hit) {
        if (await isRevoked(store, secret)) throw new HttpError(403, 'key_revoked', 'this API key was revoked', 'issue a new one: luna account keys create ACCOUNT');
        throw new HttpError(401, 'unauthorized', 'unknown API key', 'check the key; luna account keys list shows the live ones');
      }
      return { accountId: hit.accountId, keyId: hit.keyId, store: scopeFor(hit.accountId) };
    },
    close(): void {
      scoped.clear();
    },
  };
}

/** A failed key whose visible prefix matches only revoked keys gets 403 rather than 401: the client learns to stop retrying it. */
async function isRevoked(store: Store, secret: string): Promise<boolean> {
  if (!/^luna_[0-9a-z]{20,}$/.test(secret)) return false;
  const prefix = secret.slice(0, 13);
  const keys = (await store.listApiKeys().catch(() => [])).filter((k) => k.prefix === prefix);
  return keys.length > 0 && keys.every((k) => k.revokedAt !== null);
}

export function callerOf(req: FastifyRequest): Caller {
  if (!req.caller) throw new HttpError(401, 'unauthorized', 'missing API key');
  return req.caller;
}

/** The caller's story, or 404 for a missing one and for another account's (its existence is not disclosed). */
export async function loadStory(caller: Caller, id: string): Promise<Story> {
  const story = await caller.store.getStory(id);
  if (!story || story.accountId !== caller.accountId) throw new NotFoundError(`no story ${id}`, { hint: 'GET /v1/stories lists yours' });
  return story;
}
