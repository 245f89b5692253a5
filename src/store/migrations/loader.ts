import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PACKAGE_ROOT } from '../../config/load.js';
import { DatabaseError } from '../../errors.js';
import type { Dialect } from '../types.js';

export interface MigrationFile {
  version: number;
  name: string;
  up: string;
  down: string;
}

const FILE = /^(\d{4})_([a-z0-9_-]+)\.(up|down)\.sql$/;

/**
 * Migrations live as SQL files under src/store/migrations/<dialect>/ and are read at run time from the
 * package root: tsc does not copy .sql files, and compiled code runs from dist/.
 */
export function migrationsDir(dialect: Dialect): string {
  const rel = path.join('src', 'store', 'migrations', dialect);
  const candidates = [path.join(PACKAGE_ROOT, rel)];
  // Running from source (vitest, tsx) puts this file two levels closer to the root than dist/ does.
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    candidates.push(path.join(dir, rel));
    dir = path.dirname(dir);
  }
  const found = candidates.find((c) => existsSync(c));
  if (!found) throw new DatabaseError(`migration files for ${dialect} not found (looked in ${candidates[0]})`, { hint: 'reinstall luna' });
  return found;
}

export function loadMigrations(dialect: Dialect): MigrationFile[] {
  const dir = migrationsDir(dialect);
  const byVersion = new Map<number, Partial<MigrationFile>>();
  for (const f of readdirSync(dir)) {
    const m = FILE.exec(f);
    if (!m) continue;
    const version = Number(m[1]);
    const entry = byVersion.get(version) ?? { version, name: m[2] };
    if (entry.name !== m[2]) throw new DatabaseError(`migration ${version} has two names: ${entry.name} and ${m[2]}`);
    entry[m[3] as 'up' | 'down'] = readFileSync(path.join(dir, f), 'utf8');
    byVersion.set(version, entry);
  }
  const list = [...byVersion.values()].sort((a, b) => a.version! - b.version!);
  list.forEach((m, i) => {
    if (m.version !== i + 1) throw new DatabaseError(`migrations must be numbered 1, 2, 3…; found ${m.version} at position ${i + 1} in ${dir}`);
    if (m.up === undefined || m.down === undefined) throw new DatabaseError(`migration ${m.version}_${m.name} lacks its ${m.up === undefined ? 'up' : 'down'} file`);
  });
  return list as MigrationFile[];
}

export function schemaAheadError(current: number, latest: number): DatabaseError {
  return new DatabaseError(`database schema is at version ${current} but this luna knows only up to ${latest}`, { hint: 'upgrade luna' });
}

export function schemaBehindError(current: number, latest: number): DatabaseError {
  return new DatabaseError(`database schema is at version ${current} but this luna needs version ${latest}`, { hint: 'run luna migrate up' });
}
