import { createHash } from 'node:crypto';
import { newId } from './ids.js';

/**
 * API keys for both stores: `luna_` + 52 base32 characters (260 random bits). Only the sha256 is stored,
 * so a leaked database does not leak usable keys; the prefix stays visible to tell keys apart.
 */
export const API_KEY_PREFIX = 'luna_';

export function newApiKeySecret(): string {
  return `${API_KEY_PREFIX}${newId(52)}`;
}

export function hashApiKey(secret: string): string {
  return createHash('sha256').update(secret.trim(), 'utf8').digest('hex');
}

/** The part shown in listings: `luna_` plus the first 8 characters of the random part. */
export function apiKeyPrefix(secret: string): string {
  return secret.slice(0, API_KEY_PREFIX.length + 8);
}
