import type { Command } from 'commander';
import type { LoadedConfig } from '../config/load.js';
import type { Store } from '../store/types.js';

/** Global options, as every command sees them. */
export interface GlobalOptions {
  config?: string;
  home?: string;
  databaseUrl?: string;
  json: boolean;
  debug: boolean;
}

export function globalOptions(cmd: Command): GlobalOptions {
  const o = cmd.optsWithGlobals() as Partial<GlobalOptions>;
  return { config: o.config, home: o.home, databaseUrl: o.databaseUrl, json: Boolean(o.json), debug: Boolean(o.debug) };
}

export async function loadCliConfig(g: GlobalOptions): Promise<LoadedConfig> {
  const { loadConfig } = await import('../config/load.js');
  return loadConfig({ home: g.home, configFile: g.config, databaseUrl: g.databaseUrl });
}

/**
 * Opens the configured store, checks the schema is current (unless `migrations` is false), runs fn, closes.
 * Migrations are applied automatically on the embedded SQLite default so a first run just works;
 * PostgreSQL deployments migrate explicitly with `luna migrate up`.
 */
export async function withStore<T>(
  g: GlobalOptions,
  fn: (store: Store, loaded: LoadedConfig) => Promise<T>,
  opts: { checkSchema?: boolean } = {},
): Promise<T> {
  const loaded = await loadCliConfig(g);
  const { openStore } = await import('../store/open.js');
  const store = await openStore(loaded.config.database, loaded.home, { autoMigrateSqlite: opts.checkSchema !== false });
  try {
    if (opts.checkSchema !== false) await store.assertSchemaCurrent();
    return await fn(store, loaded);
  } finally {
    await store.close();
  }
}
