import path from 'node:path';
import { expandTilde } from '../config/load.js';
import type { LunaConfig } from '../config/schema.js';
import { ConfigError, redactSecrets } from '../errors.js';
import { withBranchCache } from './branch-cache.js';
import type { Store } from './types.js';

export type StoreTarget = { dialect: 'sqlite'; file: string } | { dialect: 'postgres'; url: string };

/** `sqlite:PATH`, `sqlite::memory:`, a plain path, or `postgres(ql)://…`; unset means `<home>/luna.db`. */
export function resolveStoreTarget(url: string | undefined, home: string): StoreTarget {
  if (url === undefined || url.trim() === '') return { dialect: 'sqlite', file: path.join(home, 'luna.db') };
  const u = url.trim();
  if (/^postgres(ql)?:\/\//i.test(u)) {
    // The driver and pg_dump both parse it later, as "Invalid URL" from deep inside: say so here.
    if (!URL.canParse(u)) {
      throw new ConfigError(`database.url is not a valid URL: "${redactSecrets(u)}"`, {
        hint: 'use postgres://USER:PASSWORD@HOST:5432/DB, with special characters in the password percent-encoded (@ as %40, / as %2F)',
      });
    }
    return { dialect: 'postgres', url: u };
  }
  if (/^sqlite:/i.test(u)) {
    let rest = u.slice('sqlite:'.length);
    if (rest === ':memory:' || rest === '//:memory:') return { dialect: 'sqlite', file: ':memory:' };
    // sqlite:///abs/path and sqlite://rel/path are common spellings of the same thing.
    if (rest.startsWith('//')) rest = rest.slice(2);
    if (!rest) throw new ConfigError(`database.url "${u}" names no file`, { hint: 'use sqlite:/path/to/luna.db' });
    return { dialect: 'sqlite', file: path.resolve(expandTilde(rest)) };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(u)) {
    throw new ConfigError(`database.url: unsupported scheme in "${u.replace(/\/\/[^@/]*@/, '//…@')}"`, {
      hint: 'use sqlite:PATH, a file path, or postgres://…',
    });
  }
  return { dialect: 'sqlite', file: path.resolve(expandTilde(u)) };
}


/** Opens the store named by the config: SQLite (default, `<home>/luna.db`) or PostgreSQL. Drivers load lazily. */
export async function openStore(
  db: LunaConfig['database'],
  home: string,
  opts: { autoMigrateSqlite?: boolean } = {},
): Promise<Store> {
  const target = resolveStoreTarget(db?.url, home);
  if (target.dialect === 'sqlite') {
    const { openSqliteStore } = await import('./sqlite/index.js');
    return withBranchCache(await openSqliteStore(target.file, { autoMigrate: opts.autoMigrateSqlite ?? false }));
  }
  const mod = await import('./postgres/index.js');
  return withBranchCache(await mod.openPostgresStore(target.url, { poolSize: db?.poolSize ?? 10 }));
}
