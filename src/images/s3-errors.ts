import { ImageStoreError, redactSecrets } from '../errors.js';
import { parseS3Location } from './s3-location.js';

interface SdkError {
  name?: string;
  code?: string;
  message?: string;
  errors?: { code?: string }[];
  $metadata?: { httpStatusCode?: number };
}

const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'TimeoutError', 'RequestTimeout']);
const PERMISSIONS = 'the credentials need s3:PutObject, s3:GetObject and s3:DeleteObject on the bucket\'s objects';

/** A missing key (GET: NoSuchKey), or for a HEAD, whose 404 carries no body, any 404. */
export function s3NotFound(err: unknown, what: 'key' | 'any'): boolean {
  const e = (err ?? {}) as SdkError;
  if (e.name === 'NoSuchKey') return true;
  return what === 'any' && (e.name === 'NotFound' || e.name === 'NoSuchBucket' || e.$metadata?.httpStatusCode === 404);
}

/**
 * One line and a hint for what the bucket answered. Built from the error's code and status only: the SDK's own
 * message and its raw response are never passed on whole (a proxy's error page can quote a signed URL), and no
 * cause is attached, so `--debug` cannot print one either.
 */
export function s3Failure(err: unknown, ctx: { op: 'store' | 'read' | 'check'; location: string; where: string }): ImageStoreError {
  const e = (err ?? {}) as SdkError;
  const bucket = parseS3Location(ctx.location)?.bucket ?? '?';
  const head = `cannot ${ctx.op} image ${ctx.location}`;
  const status = e.$metadata?.httpStatusCode;
  const code = networkCode(e);
  const retried = 'the image job is retried with backoff (luna jobs shows it); the turn is kept';
  if (e.name === 'NoSuchBucket') {
    return new ImageStoreError(`${head}: bucket "${bucket}" does not exist at ${ctx.where}`, { hint: `create it (aws s3 mb s3://${bucket}, or mc mb for MinIO) or fix agents.dreamer.comfyui.imagesStore.url; ${retried}` });
  }
  if (e.name === 'InvalidAccessKeyId') {
    return new ImageStoreError(`${head}: ${ctx.where} does not know the access key (InvalidAccessKeyId)`, { hint: 'LUNA signs with the AWS credential chain: check AWS_ACCESS_KEY_ID / AWS_PROFILE name a key of this service' });
  }
  if (e.name === 'SignatureDoesNotMatch') {
    return new ImageStoreError(`${head}: the secret key does not match the access key (SignatureDoesNotMatch at ${ctx.where})`, { hint: 'check AWS_SECRET_ACCESS_KEY (or the profile\'s aws_secret_access_key) belongs to AWS_ACCESS_KEY_ID' });
  }
  if (e.name === 'AccessDenied' || e.name === 'Forbidden' || e.name === 'AllAccessDisabled' || status === 403) {
    return new ImageStoreError(`${head}: access denied by ${ctx.where} (${e.name === 'Forbidden' || !e.name ? 'HTTP 403' : e.name})`, { hint: `${PERMISSIONS}; LUNA signs with the AWS credential chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE or a role)` });
  }
  if (e.name === 'CredentialsProviderError' || /could not load credentials/i.test(e.message ?? '')) {
    return new ImageStoreError(`${head}: no AWS credentials found`, { hint: 'set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE, or run with an instance/container role) for every luna process; luna.yaml never holds them' });
  }
  if (code) {
    return new ImageStoreError(`${head}: ${ctx.where} is unreachable (${code})`, { hint: `check agents.dreamer.comfyui.imagesStore.endpoint and that the service is up; ${retried}` });
  }
  if (status !== undefined && status >= 500) {
    return new ImageStoreError(`${head}: ${ctx.where} answered HTTP ${status}${e.name && e.name !== 'Unknown' ? ` (${e.name})` : ''}`, { hint: retried });
  }
  const detail = e.message ? `: ${scrubS3Message(e.message)}` : '';
  return new ImageStoreError(`${head}: ${scrubS3Message(e.name ?? 'error')}${status ? ` (HTTP ${status})` : ''}${detail}`, { hint: `the bucket is ${ctx.where}; ${retried}` });
}

function networkCode(e: SdkError): string | null {
  for (const c of [e.code, e.name, ...(e.errors ?? []).map((x) => x.code)]) if (c && NETWORK.has(c)) return c;
  return null;
}

/**
 * What may be quoted of an SDK or server message: one line, no query strings (a presigned URL's signature),
 * no SigV4 fields, never the secret key or session token this process holds, and the usual credential shapes cut.
 */
export function scrubS3Message(text: string): string {
  let t = text.split(/\r?\n/)[0]!
    .replace(/(https?:\/\/[^\s?"'<>]*)\?[^\s"'<>]*/gi, '$1?…')
    .replace(/X-Amz-[A-Za-z-]+=[^&\s"'<>]+/gi, 'X-Amz-…')
    .replace(/\b(Signature|Credential|SignedHeaders)=[^,\s"'<>]+/g, '$1=…')
    .replace(/AWS4-HMAC-SHA256\s+[^"'<>]*/g, 'AWS4-HMAC-SHA256 …');
  for (const secret of [process.env.AWS_SECRET_ACCESS_KEY, process.env.AWS_SESSION_TOKEN]) {
    if (secret && secret.length >= 8) t = t.split(secret).join('…');
  }
  t = redactSecrets(t);
  return t.length > 200 ? `${t.slice(0, 199)}…` : t;
}
