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
/** A model endpoint failed: unreachable, bad reply, or every fallback exhausted. */
export class ModelError extends LunaError {
  readonly retryable: boolean;
  readonly status: number | undefined;
  /** Server-requested wait before retrying (retry-after / retry-after-ms headers). */
  readonly retryAfterMs: number | undefined;
  constructor(message: string, opts: LunaErrorOptions & { retryable?: boolean; status?: number; retryAfterMs?: number } = {}) {
    super(message, ExitCode.model, opts);
    this.retryable = opts.retryable ?? false;
    this.status = opts.status;
    this.retryAfterMs = opts.retryAfterMs;
  }
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

export function isAbortError(err: unknown): boolean {
  if (err instanceof CancelledError) return true;
  if (!(err instanceof Error)) return false;
  return err.name === 'AbortError' || err.name === 'APIUserAbortError' || (err as { code?: string }).code === 'ABORT_ERR';
}

/** Removes anything that looks like a credential before a message reaches a log, ledger or terminal. */
export function redactSecrets(text: string): string {
  return text
    .replace(/\b(sk-[A-Za-z0-9_-]{6})[A-Za-z0-9_-]+/g, '$1…')
    .replace(/\b(sk-ant-[A-Za-z0-9_-]{4})[A-Za-z0-9_-]+/g, '$1…')
    .replace(/(Bearer\s+)[A-Za-z0-9._~+/=-]+/gi, '$1…')
    .replace(/((?:api[_-]?key|token|password|secret)["'=:\s]+)[^\s"'&,}]+/gi, '$1…')
    .replace(/(postgres(?:ql)?:\/\/[^:/@\s]+:)[^@\s]+@/gi, '$1…@')
    .replace(/\b(luna_[0-9a-z]{8})[0-9a-z]{12,}/g, '$1…');
}
