import { loadCliConfig, type GlobalOptions } from '../../cli/context.js';
import type { StoreTarget } from '../../store/open.js';

/** The configured database (same resolution as every other command). */
export async function configuredTarget(g: GlobalOptions): Promise<StoreTarget> {
  const loaded = await loadCliConfig(g);
  const { resolveStoreTarget } = await import('../../store/open.js');
  return resolveStoreTarget(loaded.config.database.url, loaded.home);
}
