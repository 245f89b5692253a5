import type { Command } from 'commander';
import type { LoadedConfig } from '../config/load.js';
import type { Store } from '../store/types.js';
import { terminalLine } from '../util/terminal-text.js';

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
  const loaded = loadConfig({ home: g.home, configFile: g.config, databaseUrl: g.databaseUrl });
  const { checkHome } = await import('../util/ensure-dir.js');
  checkHome(loaded.home);
  return loaded;
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
  const { openStore, resolveStoreTarget } = await import('../store/open.js');
  const { storageError } = await import('../util/storage-error.js');
  const target = resolveStoreTarget(loaded.config.database.url, loaded.home);
  // Disk full, read-only files and permissions are the machine's state: exit 5 with the fix, not "a bug".
  const mapped = (err: unknown) => (target.dialect === 'sqlite' && target.file !== ':memory:' ? storageError(err, target.file) : err);
  let store: Store;
  try {
    store = await openStore(loaded.config.database, loaded.home, { autoMigrateSqlite: opts.checkSchema !== false });
  } catch (err) {
    throw mapped(err);
  }
  try {
    if (opts.checkSchema !== false) await store.assertSchemaCurrent();
    return await fn(store, loaded);
  } catch (err) {
    throw mapped(err);
  } finally {
    await store.close();
  }
}

/**
 * Where `--debug` (or LUNA_DEBUG=1) notes go: stderr, one line each, control characters made visible. Undefined
 * without it, so the quiet troubles it reports (a trace collector that does not answer) stay quiet.
 */
export function debugLog(g: GlobalOptions): ((message: string) => void) | undefined {
  if (!g.debug && process.env.LUNA_DEBUG !== '1') return undefined;
  return (message) => {
    process.stderr.write(`luna: debug: ${terminalLine(message)}\n`);
  };
}
