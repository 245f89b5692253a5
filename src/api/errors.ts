import type { FastifyError } from 'fastify';
import { ExitCode, LunaError, redactSecrets } from '../errors.js';

/** The one error body of the API: `{ error: { code, message, hint } }`. */
export interface ApiErrorBody {
  error: { code: string; message: string; hint?: string };
}

/** An HTTP-level refusal that has no LunaError of its own (rate limits, overload, bad auth header). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly hint?: string,
    readonly retryAfterSec?: number,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

const BY_EXIT: Record<number, { status: number; code: string }> = {
  [ExitCode.usage]: { status: 400, code: 'bad_request' },
  [ExitCode.config]: { status: 500, code: 'server_config' },
  [ExitCode.notFound]: { status: 404, code: 'not_found' },
  [ExitCode.database]: { status: 503, code: 'database_unavailable' },
  [ExitCode.model]: { status: 502, code: 'model_failed' },
  [ExitCode.auth]: { status: 401, code: 'unauthorized' },
  [ExitCode.budget]: { status: 402, code: 'budget_exceeded' },
  [ExitCode.busy]: { status: 409, code: 'story_busy' },
  [ExitCode.notImplemented]: { status: 501, code: 'not_implemented' },
  [ExitCode.cancelled]: { status: 499, code: 'cancelled' },
};

/** Status and code for a LunaError exit code (the SSE `error` event carries only the exit code). */
export function statusForExit(exitCode: number): { status: number; code: string } {
  return BY_EXIT[exitCode] ?? { status: 500, code: 'internal' };
}

export interface MappedError {
  status: number;
  body: ApiErrorBody;
  retryAfterSec?: number;
}

/**
 * Maps anything thrown to a status and body, in one place. Messages are redacted; an unexpected error
 * (not a LunaError) shows no message at all, since it may carry internals; stacks never leave the process.
 */
export function mapError(err: unknown): MappedError {
  if (err instanceof HttpError) return { status: err.status, body: body(err.code, err.message, err.hint), retryAfterSec: err.retryAfterSec };
  if (err instanceof LunaError) {
    const { status, code } = statusForExit(err.exitCode);
    return { status, body: body(code, err.message, err.hint) };
  }
  const fe = err as Partial<FastifyError> & { validation?: ValidationItem[]; validationContext?: string };
  if (fe && Array.isArray(fe.validation)) {
    const first = fe.validation[0];
    return { status: 400, body: body('bad_request', first ? describeValidation(fe.validationContext ?? 'body', first) : 'invalid request', 'see /openapi.json for the request schema') };
  }
  if (fe?.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || fe?.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || (fe?.statusCode === 400 && fe instanceof SyntaxError)) {
    return { status: 400, body: body('bad_request', `body: malformed JSON${fe.message ? ` (${fe.message})` : ''}`, 'send a JSON object with Content-Type: application/json') };
  }
  if (fe?.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return { status: 413, body: body('body_too_large', 'body: larger than the server accepts', 'send a smaller body (the limit is the server\'s --body-limit)') };
  if (fe?.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return { status: 415, body: body('unsupported_media_type', 'body: unsupported Content-Type', 'use Content-Type: application/json') };
  if (typeof fe?.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return { status: fe.statusCode, body: body(fe.statusCode === 404 ? 'not_found' : 'bad_request', fe.message ?? 'bad request') };
  }
  return { status: 500, body: body('internal', 'internal error', 'the server log has the request id') };
}

interface ValidationItem {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

/** `body.mode: must be equal to one of the allowed values`, `body.foo: unknown field`: the path is always named. */
function describeValidation(context: string, v: ValidationItem): string {
  const at = [context, ...v.instancePath.split('/').filter(Boolean)].join('.');
  if (v.keyword === 'additionalProperties') return `${at}.${String(v.params.additionalProperty)}: unknown field`;
  if (v.keyword === 'required') return `${at}.${String(v.params.missingProperty)}: required`;
  if (v.keyword === 'enum') return `${at}: must be one of ${(v.params.allowedValues as unknown[]).map(String).join(', ')}`;
  return `${at}: ${v.message ?? 'invalid'}`;
}

function body(code: string, message: string, hint?: string): ApiErrorBody {
  return { error: { code, message: redactSecrets(message), ...(hint ? { hint: redactSecrets(hint) } : {}) } };
}
