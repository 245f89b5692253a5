import { randomBytes } from 'node:crypto';

/** Crockford base32, lowercase: no i/l/o/u, so ids read aloud and typed without ambiguity. */
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

/**
 * A random id of `length` base32 characters (5 bits each). Stories and turns use 12 (60 bits) so users can
 * type them, or a unique prefix of them; high-volume rows (ledger, jobs, facts) use 16.
 */
export function newId(length = 16): string {
  const bytes = randomBytes(length);
  let out = '';
  for (let i = 0; i < length; i++) out += ALPHABET[bytes[i]! & 31];
  return out;
}

export const SHORT_ID_LENGTH = 12;
/** Shortest prefix accepted in place of a full story or turn id. */
export const MIN_ID_PREFIX = 4;

export function nowIso(): string {
  return new Date().toISOString();
}

/** Normalises any date input to the one stored form (ISO-8601 UTC with milliseconds), so text order is time order. */
export function toIso(value: string | number | Date): string {
  const d = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(d.getTime())) throw new RangeError(`not a date: ${String(value)}`);
  return d.toISOString();
}

/** True when `s` could be a (prefix of an) id: only characters of the id alphabet. */
export function looksLikeIdPrefix(s: string): boolean {
  return s.length >= MIN_ID_PREFIX && /^[0-9a-z]+$/.test(s);
}
