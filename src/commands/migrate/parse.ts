import { UsageError } from '../../errors.js';

export function parseVersion(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n)) {
    throw new UsageError(`${flag}: expected a whole number ≥ 0, found "${value}"`);
  }
  return n;
}
