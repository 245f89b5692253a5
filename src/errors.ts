/**
 * Every failure a user can cause or meet carries its own exit code and a hint.
 * Only the entry point (src/cli/main.ts) prints these; everything else throws.
 */
export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  config: 3,
  notFound: 4,
  database: 5,
  model: 6,
  auth: 7,
  budget: 8,
  busy: 9,
  notImplemented: 10,
  serve: 11,
  burst: 12,
  cancelled: 130,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export interface LunaErrorOptions {
  hint?: string;
  cause?: unknown;
}

export class LunaError extends Error {
  readonly exitCode: number;
  readonly hint: string | undefined;
  constructor(message: string, exitCode: number = ExitCode.failure, opts: LunaErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.exitCode = exitCode;
    this.hint = opts.hint;
  }
}

export class UsageError extends LunaError {
  constructor(message: string, opts: LunaErrorOptions = {}) {
    super(message, ExitCode.usage, opts);
  }
}
export class ConfigError extends LunaError {
  constructor(message: string, opts: LunaErrorOptions = {}) {
    super(message, ExitCode.config, opts);
  }
}
export class NotFoundError extends LunaError {
  constructor(message: string, opts: LunaErrorOptions = {}) {
    super(message, ExitCode.notFound, opts);
  }
}
export class DatabaseError extends LunaError {
  constructor(message: string, opts: LunaErrorOptions = {}) {
    super(message, ExitCode.database, opts);
  }
}
/** A file the user named (an export, a backup) could not be written: about that file, never the database. */
export class FileWriteError extends LunaError {
  constructor(message: string, opts: LunaErrorOptions = {}) {
    super(message, ExitCode.failure, opts);
  }
}
/** A model endpoint failed: unreachable, bad reply, or every fallback exhausted. */
export class ModelError extends LunaError {
  readonly retryable: boolean;
  readonly status: number | undefined;
  /** Server-requested wait before retrying (retry-after / retry-after-ms headers). */
  readonly retryAfterMs: number | undefined;
  /** The server refused the prompt as larger than its context window (with its own counts when it sent them). */
  readonly contextOverflow: ContextOverflow | undefined;
  constructor(message: string, opts: LunaErrorOptions & { retryable?: boolean; status?: number; retryAfterMs?: number; contextOverflow?: ContextOverflow } = {}) {
    super(message, ExitCode.model, opts);
    this.retryable = opts.retryable ?? false;
    this.status = opts.status;
    this.retryAfterMs = opts.retryAfterMs;
    this.contextOverflow = opts.contextOverflow;
  }
}

export interface ContextOverflow {
  promptTokens: number | null;
  contextTokens: number | null;
}

/** The context overflow behind an error, looking through wrappers (an all-models-failed error keeps it as cause). */
export function contextOverflowOf(err: unknown): ContextOverflow | null {
  let cur: unknown = err;
  for (let i = 0; i < 5 && cur; i++) {
    if (cur instanceof ModelError && cur.contextOverflow) return cur.contextOverflow;
    cur = (cur as { cause?: unknown }).cause;
  }
  return null;
}
export class AuthError extends LunaError {
  constructor(message: string, opts: LunaErrorOptions = {}) {
    super(message, ExitCode.auth, opts);
  }
}
export class BudgetError extends LunaError {
  constructor(message: string, opts: LunaErrorOptions = {}) {
    super(message, ExitCode.budget, opts);
  }
}
/** Another writer moved the story (or holds it) while this turn ran. */
export class BusyError extends LunaError {
  constructor(message: string, opts: LunaErrorOptions = {}) {
    super(message, ExitCode.busy, opts);
  }
}
/** A burst cloud refused or failed (capacity, quota, provider error); `retryable` when trying later may help. */
export class BurstError extends LunaError {
  readonly retryable: boolean;
  constructor(message: string, opts: LunaErrorOptions & { retryable?: boolean } = {}) {
    super(message, ExitCode.burst, opts);
    this.retryable = opts.retryable ?? false;
  }
}
/** The images folder or bucket could not store or give back a picture (unreachable, refused, no such bucket). */
export class ImageStoreError extends LunaError {
  constructor(message: string, opts: LunaErrorOptions = {}) {
    super(message, ExitCode.failure, opts);
  }
}
export class NotImplementedError extends LunaError {
  constructor(what: string, issue?: string) {
    super(`${what} is not implemented yet`, ExitCode.notImplemented, {
      hint: issue ? `tracked in ${issue}` : undefined,
    });
  }
}
export class CancelledError extends LunaError {
  constructor(message = 'cancelled') {
    super(message, ExitCode.cancelled);
  }
}

function redactValue(match: string, prefix: string, name: string, value: string, offset: number, whole: string): string {
  // Already cut to a recognisable prefix by the sk- rules.
  if (/^sk-[A-Za-z0-9_-]+…$/.test(value) || value === '…') return match;
  // A file name that contains the word (/etc/passwd: …, ~/secrets/token: …) is a path, not a credential.
  if (whole[offset - 1] === '/') return match;
  // An error code (invalid_api_key, missing_token) followed by a sentence: the next word is prose.
  if (prefix.endsWith('_') && name.trimEnd().endsWith(':') && /^[A-Z][a-z]+$/.test(value) && whole[offset + match.length] === ' ') return match;
  return `${prefix}${name}…`;
}

/** What fixes a login PostgreSQL refused (wrong password, no pg_hba.conf entry): shared by the store and pg_dump. */
export const PG_AUTH_HINT =
  'check the password in the database URL (postgres://USER:PASSWORD@HOST:5432/DB, special characters percent-encoded) or set PGPASSWORD; the server\'s pg_hba.conf decides who may log in, and how';

/** PostgreSQL's own words for a refused login, in a driver error or pg_dump's stderr. */
export function isPgAuthFailure(code: string | undefined, message: string): boolean {
  return code === '28P01' || code === '28000' || /password authentication failed|no pg_hba\.conf entry|no password supplied/i.test(message);
}

export function isAbortError(err: unknown): boolean {
  if (err instanceof CancelledError) return true;
  if (!(err instanceof Error)) return false;
  return err.name === 'AbortError' || err.name === 'APIUserAbortError' || (err as { code?: string }).code === 'ABORT_ERR';
}

/**
 * Removes anything that looks like a credential before a message reaches a log, ledger or terminal, and
 * only that: the words around it explain the error. A `name: value` pair needs its `=` or `:` (PostgreSQL's
 * "password authentication failed" names no password), and a value that starts a sentence is not a secret
 * (OpenAI's "invalid_api_key: Incorrect API key provided: sk-…" lost "Incorrect").
 */
export function redactSecrets(text: string): string {
  return text
    .replace(/\b(sk-[A-Za-z0-9_-]{6})[A-Za-z0-9_-]+/g, '$1…')
    .replace(/\b(sk-ant-[A-Za-z0-9_-]{4})[A-Za-z0-9_-]+/g, '$1…')
    // An sk- key after Bearer is already cut to its prefix above.
    .replace(/(Bearer\s+)(?!sk-)[A-Za-z0-9._~+/=-]+/gi, '$1…')
    .replace(/([A-Za-z0-9_]*?)((?:api[_-]?key|token|password|passwd|secret)["']?\s*[=:]\s*["']?)([^\s"'&,}]+)/gi, redactValue)
    // A password in any URL's userinfo (postgres://, http://, s3://, redis://): the user name stays, to say which account.
    .replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^:/@\s]+:)[^@\s/]+@/gi, '$1…@')
    .replace(/\b(luna_[0-9a-z]{8})[0-9a-z]{12,}/g, '$1…')
    // Hugging Face user access tokens (HF_TOKEN for gated models on burst instances).
    .replace(/\bhf_[A-Za-z0-9]{20,}/g, 'hf_…');
}
