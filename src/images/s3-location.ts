/** An s3://bucket/key URI, as turn_images.path records a picture kept in a bucket. */
export function isS3Location(location: string): boolean {
  return location.startsWith('s3://');
}

export function parseS3Location(location: string): { bucket: string; key: string } | null {
  const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(location);
  return m ? { bucket: m[1]!, key: m[2]! } : null;
}

/** s3://bucket/prefix (from imagesStore.url) as a bucket and a key prefix without slashes at either end. */
export function parseS3Url(url: string): { bucket: string; prefix: string } {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url);
  return { bucket: m?.[1] ?? '', prefix: (m?.[2] ?? '').replace(/^\/+|\/+$/g, '') };
}
