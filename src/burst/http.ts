import { AuthError, BurstError, type LunaErrorOptions, redactSecrets } from '../errors.js';
import type { ProviderName } from './types.js';

/** A provider call that failed; `maybeCreated` when a create may have happened anyway (5xx, timeout, dropped connection). */
export class ProviderError extends BurstError {
  readonly status: number | null;
  readonly code: string | null;
  readonly maybeCreated: boolean;
  constructor(
    message: string,
    opts: LunaErrorOptions & { status?: number | null; code?: string | null; maybeCreated?: boolean; retryable?: boolean } = {},
  ) {
    super(redactSecrets(message), opts);
    this.status = opts.status ?? null;
    this.code = opts.code ?? null;
    this.maybeCreated = opts.maybeCreated ?? false;
  }
}

export interface HttpClientOptions {
  provider: ProviderName;
  baseUrl: string;
  apiKey: string;
  /** Env var the key came from, for the 401 hint. */
  apiKeyEnv: string;
  timeoutMs?: number;
  /** 429 retries; each waits Retry-After when the provider sends it. */
  maxRetries?: number;
  maxBackoffMs?: number;
}

export interface HttpReply {
  status: number;
  body: unknown;
  text: string;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => { clearTimeout(t); reject(signal.reason); }, { once: true });
  });

/** Seconds or an HTTP date, per RFC 9110; null when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | null {
  if (!value) return null;
  const secs = Number(value);
  if (Number.isFinite(secs)) return Math.max(0, secs * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

/** JSON over HTTP with Bearer auth, a timeout, and 429 backoff. Status handling beyond 401/429 is the adapter's. */
export class HttpClient {
  readonly provider: ProviderName;
  private readonly opts: Required<HttpClientOptions>;

  constructor(opts: HttpClientOptions) {
    this.provider = opts.provider;
    this.opts = {
      ...opts,
      timeoutMs: opts.timeoutMs ?? 30_000,
      maxRetries: opts.maxRetries ?? 5,
      maxBackoffMs: opts.maxBackoffMs ?? 30_000,
      baseUrl: opts.baseUrl.replace(/\/+$/, ''),
    };
  }

  async request(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<HttpReply> {
    const url = `${this.opts.baseUrl}${path}`;
    for (let attempt = 0; ; attempt++) {
      let res: Response;
      try {
        const timeout = AbortSignal.timeout(this.opts.timeoutMs);
        res = await fetch(url, {
          method,
          headers: {
            authorization: `Bearer ${this.opts.apiKey}`,
            accept: 'application/json',
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
        });
      } catch (err) {
        if (signal?.aborted) throw err;
        const timedOut = (err as Error).name === 'TimeoutError';
        throw new ProviderError(`${this.provider}: ${method} ${path} ${timedOut ? `timed out after ${this.opts.timeoutMs}ms` : `failed: ${(err as Error).message}`}`, {
          maybeCreated: method !== 'GET',
          retryable: true,
          cause: err,
        });
      }
      const text = await res.text();
      let parsed: unknown = null;
      try { parsed = text ? JSON.parse(text) : null; } catch { parsed = null; }
      if (res.status === 401) {
        throw new AuthError(`${this.provider} rejected the API key (HTTP ${res.status})`, {
          hint: `check ${this.opts.apiKeyEnv} or burst.providers.${this.provider}.apiKey`,
        });
      }
      if (res.status === 429) {
        if (attempt >= this.opts.maxRetries) {
          throw new ProviderError(`${this.provider}: rate limited (HTTP 429) after ${attempt + 1} attempts`, { status: 429, code: 'rate_limit_exceeded', retryable: true });
        }
        const wait = parseRetryAfter(res.headers.get('retry-after')) ?? Math.min(500 * 2 ** attempt, this.opts.maxBackoffMs);
        await sleep(Math.min(wait, this.opts.maxBackoffMs), signal);
        continue;
      }
      return { status: res.status, body: parsed, text };
    }
  }
}

export function shorten(text: string, max = 300): string {
  const t = text.replace(/\s+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max)}…` : t;
}
