import { existsSync } from 'node:fs';
import { type GlobalOptions, loadCliConfig } from '../../cli/context.js';
import type { LoadedConfig } from '../../config/load.js';
import { ConfigError, UsageError } from '../../errors.js';
import { findStory } from '../../story/find.js';

interface PlayOpts {
  new?: boolean;
  title?: string;
  premise?: string;
  mouse?: boolean;
}

/** Local agent models whose GGUF file is missing (the usual first-run state: demo not pulled yet). */
export function missingModels(loaded: LoadedConfig): { model: string; path: string }[] {
  const names = new Set(Object.values(loaded.config.agents).map((a) => a.model));
  const out: { model: string; path: string }[] = [];
  for (const name of names) {
    const m = loaded.config.models[name];
    if (m?.provider === 'local' && !existsSync(m.path)) out.push({ model: name, path: m.path });
  }
  return out;
}

export async function run(ref: string | undefined, opts: PlayOpts, g: GlobalOptions): Promise<void> {
  if (!process.stdout.isTTY || !process.stdin.isTTY) {
    throw new UsageError('luna play needs an interactive terminal (stdin and stdout must be a TTY)', {
      hint: 'in scripts and pipes use `luna turn STORY "what your character does"`',
    });
  }
  if (opts.new && (!opts.title?.trim() || !opts.premise?.trim())) throw new UsageError('--new needs --title and --premise', { hint: 'luna play --new --title "The Lighthouse" --premise "A keeper finds a stranger on the rocks."' });
  if (opts.new && ref) throw new UsageError('give either a story or --new, not both');
  // Ink renders only a final frame when CI/CONTINUOUS_INTEGRATION is set (read once, at import). Both ends
  // are a TTY here, so a person is watching: keep the screen live even inside a CI job's terminal.
  delete process.env.CI;
  delete process.env.CONTINUOUS_INTEGRATION;
  // React's production builds load and render faster than the development ones; no dev tooling runs here.
  process.env.NODE_ENV ??= 'production';
  // Loading Ink and React dominates start-up; start it now so it overlaps config, store and session setup.
  const launching = loadTui();
  launching.catch(() => undefined);
  let loaded = await loadCliConfig(g);
  let missing = missingModels(loaded);
  if (missing.length) {
    const { userConfigPath } = await import('../../config/load.js');
    const userFile = userConfigPath(loaded.home);
    const fix = `fix models.${missing[0]!.model}.path in ${loaded.files.at(-1)}, or run \`luna models pull demo\` for the demo model`;
    // The setup screen only ever writes a fresh user config; an existing one is the user's to edit.
    if (existsSync(userFile) || g.config) throw new ConfigError(`model file not found: ${missing[0]!.path}`, { hint: fix });
    const { runSetupScreen } = await launching;
    const choice = await runSetupScreen(missing, userFile);
    if (!choice) return;
    const { writeStarterConfig } = await import('../../config/starter.js');
    const { file } = writeStarterConfig(loaded.home, choice);
    loaded = await loadCliConfig(g);
    missing = missingModels(loaded);
    if (missing.length) {
      process.stdout.write(`wrote ${file}\nnext: run \`luna models pull demo\` (fetches ${missing.map((m) => m.path).join(', ')}), then \`luna play\` again\n`);
      return;
    }
    process.stdout.write(`wrote ${file}\n`);
  }
  const { openStore } = await import('../../store/open.js');
  const store = await openStore(loaded.config.database, loaded.home, { autoMigrateSqlite: true });
  try {
    await store.assertSchemaCurrent();
    const story = ref ? await findStory(store, ref) : null;
    const { createSession } = await import('../../runtime/session.js');
    const session = await createSession(store, loaded);
    try {
      const { runPlayScreen } = await launching;
      const start = story ? { kind: 'open' as const, id: story.id } : opts.new ? { kind: 'new' as const, title: opts.title!.trim(), premise: opts.premise!.trim() } : { kind: 'pick' as const };
      await runPlayScreen({ store, loaded, session, start, mouse: opts.mouse !== false });
    } finally {
      await session.close();
    }
  } finally {
    await store.close();
  }
}

type TuiModule = typeof import('../../tui/launch.js');

/** The bundled TUI (dist/tui.bundle.js, see scripts/bundle-tui.mjs) loads ~4× faster; the module graph is the fallback. */
async function loadTui(): Promise<TuiModule> {
  const bundle = new URL('../../../tui.bundle.js', import.meta.url);
  if (existsSync(bundle)) return (await import(bundle.href)) as TuiModule;
  return import('../../tui/launch.js');
}
