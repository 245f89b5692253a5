import type { GlobalOptions } from '../../cli/context.js';
import { loadCliConfig } from '../../cli/context.js';
import { outputWidth, printJson } from '../../cli/output.js';
import { UsageError } from '../../errors.js';
import type { Store } from '../../store/types.js';
import { TopCollector } from '../../top/collector.js';
import { prepareLiveScreen } from '../../tui/terminal.js';
import type { TopOptions } from './index.js';

/** Opens the store on first use and keeps it; a failed open is retried on the next store refresh. */
function lazyStore(open: () => Promise<Store>) {
  let store: Promise<Store> | null = null;
  return {
    get: () => {
      store ??= open().catch((err: unknown) => {
        store = null;
        throw err;
      });
      return store;
    },
    close: async () => {
      const s = await store?.catch(() => null);
      await s?.close();
    },
  };
}

type ConsoleModule = typeof import('../../tui/top/launch.js');

/** The bundled console (dist/tui-top.bundle.js: production React, one file) when built; the module graph otherwise. */
async function loadConsole(): Promise<ConsoleModule> {
  const { existsSync } = await import('node:fs');
  const bundle = new URL('../../../tui-top.bundle.js', import.meta.url);
  if (existsSync(bundle)) return (await import(bundle.href)) as ConsoleModule;
  return import('../../tui/top/launch.js');
}

export async function runTop(g: GlobalOptions, o: TopOptions): Promise<void> {
  const loaded = await loadCliConfig(g);
  for (const url of o.api) {
    try {
      new URL(url);
    } catch {
      throw new UsageError(`--api: "${url}" is not a URL`, { hint: 'e.g. --api http://127.0.0.1:8787' });
    }
  }
  if (!o.once && g.json) throw new UsageError('--json needs --once', { hint: 'luna top --once --json' });
  if (!o.once && (!process.stdout.isTTY || !process.stdin.isTTY)) {
    throw new UsageError('luna top needs a terminal', { hint: 'use `luna top --once` (or --once --json) in scripts and cron' });
  }
  const { openStore } = await import('../../store/open.js');
  const store = lazyStore(() => openStore(loaded.config.database, loaded.home, { autoMigrateSqlite: true }));
  const collector = new TopCollector({ config: loaded.config, home: loaded.home, store: store.get, apis: o.api.length ? o.api : undefined });
  const interval = o.interval ?? loaded.config.top.intervalMs;
  try {
    if (o.once) {
      // Two reads one interval apart: rates (turns/s, rejections/min) need a difference.
      await collector.snapshot();
      await new Promise((r) => setTimeout(r, interval));
      const snap = await collector.snapshot();
      if (g.json) return printJson(snap);
      const { plainText } = await import('../../top/panes.js');
      process.stdout.write(plainText(snap, outputWidth() ?? 100));
      return;
    }
    prepareLiveScreen();
    const [{ runTopScreen }, { topActions }] = await Promise.all([loadConsole(), import('./actions.js')]);
    await runTopScreen({ collector, intervalMs: interval, loaded, actions: topActions(loaded, store.get) });
  } finally {
    await store.close();
  }
}
