import type { LoadedConfig } from '../../config/load.js';
import { NotFoundError } from '../../errors.js';
import type { Store } from '../../store/types.js';
import type { TopActions } from '../../top/actions.js';

/** The console's actions over the same control API and burst manager `luna serve restart` and `luna burst down` use. */
export function topActions(loaded: LoadedConfig, store: () => Promise<Store>): TopActions {
  const serve = async () => {
    const { ControlClient } = await import('../../serve/control-client.js');
    return new ControlClient(loaded.home);
  };
  const retire = async (id: string, drain: boolean) => {
    const [{ BurstManager }, { configuredProviders }] = await Promise.all([import('../../burst/manager.js'), import('../../burst/open.js')]);
    const manager = new BurstManager({ store: await store(), config: loaded.config.burst, providers: configuredProviders(loaded) });
    const inst = await manager.resolve(id);
    const done = await manager.retire(inst, 'luna top', { drain });
    return `${done.name}: ${done.state}`;
  };
  return {
    async logTail(shard, lines) {
      const { existsSync } = await import('node:fs');
      const { shardLogFile, tailFile } = await import('../../serve/logs.js');
      const file = shardLogFile((await serve()).paths.logs, shard);
      if (!existsSync(file)) throw new NotFoundError(`no log for shard "${shard}" yet`);
      return tailFile(file, lines).text.split('\n').filter((l, i, a) => l || i < a.length - 1);
    },
    async restartShard(shard) {
      await (await serve()).post(`/shards/${encodeURIComponent(shard)}/restart`, loaded.config.serve.stopGraceMs * 2 + 30_000);
      return `${shard} restarted; it shows ready once its engine answers`;
    },
    drainInstance: (id) => retire(id, true),
    terminateInstance: (id) => retire(id, false),
  };
}
