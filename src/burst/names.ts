import { randomBytes } from 'node:crypto';

export function newInstanceId(): string {
  return randomBytes(4).toString('hex');
}

/** Provider-side name/label; reconcile finds LUNA's instances by this prefix. */
export function instanceName(deployment: string, id: string): string {
  return `luna-${deployment}-${id}`;
}

export function namePrefix(deployment: string): string {
  return `luna-${deployment}-`;
}

/** `sk-` prefix on purpose: redactSecrets recognises it should a key ever reach a message. */
export function newInstanceApiKey(): string {
  return `sk-luna-${randomBytes(24).toString('base64url')}`;
}
