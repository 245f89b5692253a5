import { createHash, createHmac, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listenOnLoopback } from './listen.js';

/**
 * A loopback S3 (path-style: /BUCKET/KEY) speaking the wire protocol LUNA's SDK client uses: PUT, GET, HEAD and
 * DELETE object, S3's XML error bodies (NoSuchBucket, NoSuchKey, AccessDenied, SignatureDoesNotMatch…; a HEAD's
 * errors have no body, as S3's), and a real AWS Signature V4 check of every request against the test's secret.
 */
export interface FakeS3Options {
  accessKeyId: string;
  secretAccessKey: string;
  buckets: string[];
  /** Buckets whose policy refuses this key: every request is 403 AccessDenied. */
  denied?: string[];
  /** Answer the next N requests with this error instead (a 5xx the SDK retries, or a hostile message). */
  failNext?: { count: number; status: number; code: string; message: string };
}

export interface FakeS3 {
  url: string;
  objects: Map<string, { bytes: Buffer; type: string }>;
  /** "PUT /bucket/key 200", in order. */
  requests: string[];
  /** The Authorization headers received (to show they were signed; never printed). */
  authorizations: string[];
  options: FakeS3Options;
  close(): Promise<void>;
}

const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data).digest();
const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');
const rfc3986 = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

function errorXml(code: string, message: string, resource: string): string {
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${esc(code)}</Code><Message>${esc(message)}</Message><Resource>${esc(resource)}</Resource><RequestId>${randomBytes(8).toString('hex').toUpperCase()}</RequestId></Error>`;
}

/** Checks the request's SigV4 Authorization header: null when valid, else the S3 error code to answer with. */
export function verifySigV4(req: IncomingMessage, body: Buffer, opts: { accessKeyId: string; secretAccessKey: string }): string | null {
  const auth = req.headers.authorization;
  if (!auth) return 'AccessDenied';
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/s3\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/.exec(auth);
  if (!m) return 'AuthorizationHeaderMalformed';
  const [, keyId, date, region, signed, signature] = m as unknown as [string, string, string, string, string, string];
  if (keyId !== opts.accessKeyId) return 'InvalidAccessKeyId';
  const amzDate = String(req.headers['x-amz-date'] ?? '');
  if (!amzDate.startsWith(date)) return 'AuthorizationHeaderMalformed';
  const payloadHash = String(req.headers['x-amz-content-sha256'] ?? '');
  if (!payloadHash) return 'InvalidRequest';
  if (payloadHash !== 'UNSIGNED-PAYLOAD' && !payloadHash.startsWith('STREAMING-') && payloadHash !== sha256(body)) return 'XAmzContentSHA256Mismatch';
  const rawUrl = req.url ?? '/';
  const q = rawUrl.indexOf('?');
  const canonicalUri = q < 0 ? rawUrl : rawUrl.slice(0, q);
  const params = [...new URLSearchParams(q < 0 ? '' : rawUrl.slice(q + 1))].map(([k, v]) => [rfc3986(k), rfc3986(v)] as const);
  params.sort((a, b) => (a[0] === b[0] ? (a[1] < b[1] ? -1 : 1) : a[0] < b[0] ? -1 : 1));
  const names = signed.split(';');
  if (!names.includes('host')) return 'AccessDenied';
  const headers = names.map((n) => `${n}:${String(req.headers[n] ?? '').trim().replace(/\s+/g, ' ')}\n`).join('');
  const canonical = [req.method, canonicalUri, params.map(([k, v]) => `${k}=${v}`).join('&'), headers, signed, payloadHash].join('\n');
  const scope = `${date}/${region}/s3/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${opts.secretAccessKey}`, date), region), 's3'), 'aws4_request');
  return hmac(key, toSign).toString('hex') === signature ? null : 'SignatureDoesNotMatch';
}

const STATUS: Record<string, number> = {
  AccessDenied: 403, InvalidAccessKeyId: 403, SignatureDoesNotMatch: 403, AuthorizationHeaderMalformed: 400, XAmzContentSHA256Mismatch: 400,
  InvalidRequest: 400, NoSuchBucket: 404, NoSuchKey: 404, MethodNotAllowed: 405,
};
const MESSAGE: Record<string, string> = {
  AccessDenied: 'Access Denied', InvalidAccessKeyId: 'The AWS Access Key Id you provided does not exist in our records.',
  SignatureDoesNotMatch: 'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
  NoSuchBucket: 'The specified bucket does not exist', NoSuchKey: 'The specified key does not exist.',
};

export async function startFakeS3(options: FakeS3Options): Promise<FakeS3> {
  const objects = new Map<string, { bytes: Buffer; type: string }>();
  const requests: string[] = [];
  const authorizations: string[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handle(req, res, Buffer.concat(chunks)));
  });

  function handle(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
    const pathOnly = (req.url ?? '/').split('?')[0]!;
    const [bucket = '', ...rest] = pathOnly.slice(1).split('/').map(decodeURIComponent);
    const key = rest.join('/');
    const resource = `/${bucket}/${key}`;
    const head = req.method === 'HEAD';
    const send = (status: number, headers: Record<string, string | number>, payload?: Buffer | string) => {
      requests.push(`${req.method} ${resource} ${status}`);
      res.writeHead(status, { 'x-amz-request-id': randomBytes(8).toString('hex').toUpperCase(), ...headers });
      res.end(head ? undefined : payload);
    };
    const fail = (code: string, message = MESSAGE[code] ?? code, status = STATUS[code] ?? 400) => send(status, head ? {} : { 'content-type': 'application/xml' }, head ? undefined : errorXml(code, message, resource));
    authorizations.push(String(req.headers.authorization ?? ''));
    const f = options.failNext;
    if (f && f.count > 0) {
      f.count--;
      return fail(f.code, f.message, f.status);
    }
    const bad = verifySigV4(req, body, options);
    if (bad) return fail(bad);
    if (!options.buckets.includes(bucket)) return fail('NoSuchBucket');
    if (options.denied?.includes(bucket)) return fail('AccessDenied');
    if (!key) return fail('MethodNotAllowed', 'bucket operations are not served here');
    const id = `${bucket}/${key}`;
    const obj = objects.get(id);
    switch (req.method) {
      case 'PUT': {
        const etag = `"${createHash('md5').update(body).digest('hex')}"`;
        objects.set(id, { bytes: body, type: String(req.headers['content-type'] ?? 'binary/octet-stream') });
        return send(200, { etag });
      }
      case 'GET':
      case 'HEAD':
        if (!obj) return fail('NoSuchKey');
        return send(200, { 'content-type': obj.type, 'content-length': obj.bytes.length, etag: `"${createHash('md5').update(obj.bytes).digest('hex')}"`, 'last-modified': new Date().toUTCString() }, obj.bytes);
      case 'DELETE':
        objects.delete(id);
        return send(204, {});
      default:
        return fail('MethodNotAllowed');
    }
  }

  const l = await listenOnLoopback(server);
  return { url: `http://127.0.0.1:${l.port}`, objects, requests, authorizations, options, close: l.close };
}
