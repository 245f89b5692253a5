import { UsageError } from '../../errors.js';
import type { NewLore } from '../../store/types.js';

/** A note on one entry: something its format says that LUNA keeps differently or cannot express. */
export interface EntryNote {
  /** 1-based position in the file. */
  entry: number;
  title: string;
  note: string;
}

/** What a format converter returns: entries ready for the store, notes per entry, and whether a title was given or made up. */
export interface Converted {
  format: LorebookFormat;
  name?: string;
  entries: { lore: NewLore; named: boolean; notes: string[] }[];
}

export type LorebookFormat = 'sillytavern' | 'novelai' | 'aidungeon' | 'character-book' | 'luna';

/** Reads the fields of one entry, failing with one line that names the entry, the field and what was found. */
export class Fields {
  constructor(readonly o: Record<string, unknown>, readonly where: string) {}

  static of(v: unknown, where: string): Fields {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad(`${where} must be an object, found ${describe(v)}`);
    return new Fields(v as Record<string, unknown>, where);
  }

  has(k: string): boolean {
    return this.o[k] !== undefined && this.o[k] !== null;
  }

  str(k: string, fallback = ''): string {
    const v = this.o[k];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'string') throw this.wrong(k, 'text', v);
    return v;
  }

  num(k: string, fallback: number): number {
    const v = this.o[k];
    if (v === undefined || v === null || v === '') return fallback;
    // Some editors write numbers as strings ("100"); a number in a string is still the number meant.
    const n = typeof v === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(v) ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isFinite(n)) throw this.wrong(k, 'a number', v);
    return n;
  }

  bool(k: string, fallback: boolean): boolean {
    const v = this.o[k];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'boolean') throw this.wrong(k, 'true or false', v);
    return v;
  }

  /** A list of words; a comma-separated string is accepted where a format allows it. */
  strs(k: string, opts: { commaString?: boolean } = {}): string[] {
    const v = this.o[k];
    if (v === undefined || v === null) return [];
    if (typeof v === 'string' && opts.commaString) return v.split(',').map((s) => s.trim()).filter(Boolean);
    if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) throw this.wrong(k, 'a list of words', v);
    return (v as string[]).map((s) => s.trim()).filter(Boolean);
  }

  obj(k: string): Fields {
    const v = this.o[k];
    if (v === undefined || v === null) return new Fields({}, `${this.where}.${k}`);
    return Fields.of(v, `${this.where}: "${k}"`);
  }

  private wrong(k: string, expected: string, found: unknown): UsageError {
    return bad(`${this.where}: "${k}" must be ${expected}, found ${describe(found)}`);
  }
}

export function bad(message: string): UsageError {
  return new UsageError(message, { hint: 'docs/lore.md lists the lorebook formats LUNA reads and what it takes from each' });
}

export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'string') return JSON.stringify(v.length > 30 ? `${v.slice(0, 29)}…` : v);
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}

export function clamp(n: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(hi, Math.round(n)));
}

/** A title for an entry without one: its first key, else its number. */
export function titleFrom(name: string, keys: string[], n: number): { title: string; named: boolean } {
  const t = name.trim().split('\n')[0]!.trim();
  if (t) return { title: t.slice(0, 300), named: true };
  return { title: (keys[0] ?? `Entry ${n}`).slice(0, 300), named: false };
}
