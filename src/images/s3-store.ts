import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { ImagesStoreConfig } from '../config/schema.js';
import { ImageStoreError } from '../errors.js';
import { s3Failure, s3NotFound } from './s3-errors.js';
import { parseS3Location, parseS3Url } from './s3-location.js';
import type { ImageBlobStore } from './store.js';

export type S3Store = ImageBlobStore;

/** Requests to the bucket: a dead endpoint fails in seconds; one picture is a few MB at most. */
const CONNECT_TIMEOUT_MS = 5_000;
const REQUEST_TIMEOUT_MS = 60_000;

/**
 * Pictures as objects in an S3-compatible bucket, through the AWS SDK: it signs every request (SigV4) with
 * the standard credential chain — AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, SSO, a container or
 * instance role — and retries throttling, 5xx and dropped connections as S3 expects. LUNA itself never holds
 * a credential. `cfg` is unset when a reader meets an s3:// location without imagesStore configured: then the
 * SDK's own defaults (AWS_REGION, AWS_ENDPOINT_URL_S3) decide.
 */
export function createS3Store(cfg: ImagesStoreConfig | undefined): S3Store {
  // The SDK warns on every process that Node 20 support ends in 2027: the project's concern (its engines
  // field), not the player's, and it would land in the middle of `luna turn`'s output.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const region = cfg?.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1';
  const client = new S3Client({
    region,
    ...(cfg?.endpoint ? { endpoint: cfg.endpoint } : {}),
    // MinIO and Ceph serve buckets as ENDPOINT/BUCKET; virtual-host style needs wildcard DNS they rarely have.
    forcePathStyle: cfg?.forcePathStyle ?? cfg?.endpoint !== undefined,
    followRegionRedirects: true,
    requestHandler: { connectionTimeout: CONNECT_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS },
  });
  const where = cfg?.endpoint ? new URL(cfg.endpoint).origin : `AWS S3 (${region})`;
  const target = cfg ? parseS3Url(cfg.url) : null;
  const locate = (location: string) => {
    const loc = parseS3Location(location);
    if (!loc) throw new ImageStoreError(`"${location}" is not an s3://bucket/key location`, { hint: 'the turn_images row was edited by hand; re-run the image job (luna jobs)' });
    return loc;
  };
  return {
    describe: () => (cfg ? `${cfg.url} at ${where}` : where),
    async put(key, bytes, mime) {
      if (!target) throw new ImageStoreError('no S3 bucket configured to store images in', { hint: 'set agents.dreamer.comfyui.imagesStore.url' });
      const Key = target.prefix ? `${target.prefix}/${key}` : key;
      const location = `s3://${target.bucket}/${Key}`;
      try {
        await client.send(new PutObjectCommand({ Bucket: target.bucket, Key, Body: bytes, ContentType: mime, ContentLength: bytes.length }));
      } catch (err) {
        throw s3Failure(err, { op: 'store', location, where });
      }
      return location;
    },
    async get(location) {
      const { bucket, key } = locate(location);
      try {
        const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        return out.Body ? Buffer.from(await out.Body.transformToByteArray()) : Buffer.alloc(0);
      } catch (err) {
        if (s3NotFound(err, 'key')) return null;
        throw s3Failure(err, { op: 'read', location, where });
      }
    },
    async exists(location) {
      const { bucket, key } = locate(location);
      try {
        await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
        return true;
      } catch (err) {
        // A HEAD's 404 has no body: no telling a missing key from a missing bucket, and neither holds the picture.
        if (s3NotFound(err, 'any')) return false;
        throw s3Failure(err, { op: 'check', location, where });
      }
    },
    async remove(locations) {
      let removed = 0;
      const left: string[] = [];
      for (const location of locations) {
        const loc = parseS3Location(location);
        if (!loc) continue;
        try {
          // S3 answers 204 for a key already gone: only a refusal or an unreachable bucket lands here.
          await client.send(new DeleteObjectCommand({ Bucket: loc.bucket, Key: loc.key }));
          removed++;
        } catch {
          left.push(location); // the story is deleted either way; the caller names what stayed
        }
      }
      return { removed, left };
    },
  };
}
