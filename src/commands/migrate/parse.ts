import { UsageError } from '../../errors.js';

export function parseVersion(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n)) {
    throw new UsageError(`${flag}: expected a whole number ≥ 0, found "${value}"`);
  }
  return n;
}

/**
 * A --to above the newest migration is a typo, not "nothing to do": say so before changing anything.
 * The latest version depends on the dialect, so this runs once the store is open.
 */
export function assertKnownVersion(to: number | undefined, latest: number, verb: 'migrate up' | 'roll back'): void {
  if (to === undefined || to <= latest) return;
  throw new UsageError(`cannot ${verb} to version ${to}: the latest version is ${latest}`, {
    hint: `pick a version from 0 to ${latest}; luna migrate status lists them`,
  });
}
