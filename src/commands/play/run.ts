import { missingModelFiles } from '../../config/model-files.js';
import { checkNewStory } from '../../story/ops.js';
import { existsSync } from 'node:fs';
import { debugLog, type GlobalOptions, loadCliConfig } from '../../cli/context.js';
import type { LoadedConfig } from '../../config/load.js';
import { ConfigError, LunaError, UsageError } from '../../errors.js';
import { findStory } from '../../story/find.js';
import { prepareLiveScreen } from '../../tui/terminal.js';
import { SIGNAL_EXIT_CODES, type StopSignal } from '../../util/signals.js';

interface PlayOpts {
  new?: boolean;
  title?: string;
  premise?: string;
  mouse?: boolean;
  images?: boolean;
}

export async function run(ref: string | undefined, opts: PlayOpts, g: GlobalOptions): Promise<void> {
  if (!process.stdout.isTTY || !process.stdin.isTTY) {
    throw new UsageError('luna play needs an interactive terminal (stdin and stdout must be a TTY)', {
      hint: 'in scripts and pipes use `luna turn STORY "what your character does"`',
    });
  }
  if (opts.new && (!opts.title?.trim() || !opts.premise?.trim())) throw new UsageError('--new needs --title and --premise', { hint: 'luna play --new --title "The Lighthouse" --premise "A keeper finds a stranger on the rocks."' });
  if (opts.new && ref) throw new UsageError('give either a story or --new, not both');
  // The checks every new story passes (src/story/ops.ts), before the terminal switches screens.
  if (opts.new) checkNewStory({ title: opts.title!, premise: opts.premise! }, (name) => `--${name}`);
  prepareLiveScreen();
  // Loading Ink and React dominates start-up; start it now so it overlaps config, store and session setup.
  const launching = loadTui();
  launching.catch(() => undefined);
  let loaded = await loadCliConfig(g);
  let missing = missingModelFiles(loaded.config);
  if (missing.length) {
    const { userConfigPath } = await import('../../config/load.js');
    const userFile = userConfigPath(loaded.home);
    const fix = `fix ${missing.map((m) => `models.${m.model}.path`).join(', ')} in ${loaded.files.at(-1)}, or run \`luna models pull demo\` for the demo model`;
    // The setup screen only ever writes a fresh user config; an existing one is the user's to edit. Every
    // missing file is named at once: one at a time meant a fix, a rerun and the next one reported.
    const list = missing.map((m) => `${m.model} (${m.agents.join(', ')}): ${m.path}`).join('; ');
    if (existsSync(userFile) || g.config) throw new ConfigError(`model file${missing.length > 1 ? 's' : ''} not found: ${list}`, { hint: fix });
    const { runSetupScreen } = await launching;
    const choice = await runSetupScreen(missing, userFile);
    if (!choice) return;
    const { writeStarterConfig } = await import('../../config/starter.js');
    const { file } = writeStarterConfig(loaded.home, choice);
    loaded = await loadCliConfig(g);
    missing = missingModelFiles(loaded.config);
    if (missing.length) {
      process.stdout.write(`wrote ${file}\nnext: run \`luna models pull demo\` (fetches ${missing.map((m) => m.path).join(', ')}), then \`luna play\` again\n`);
      return;
    }
    process.stdout.write(`wrote ${file}\n`);
  }
  const { openStore } = await import('../../store/open.js');
  const store = await openStore(loaded.config.database, loaded.home, { autoMigrateSqlite: true });
  let stoppedBy: StopSignal | null = null;
  try {
    await store.assertSchemaCurrent();
    const story = ref ? await findStory(store, ref) : null;
    const { createSession } = await import('../../runtime/session.js');
    // The full-screen UI owns the terminal: debug notes go to stderr only when it is redirected (2>file).
    const session = await createSession(store, loaded, { debug: process.stderr.isTTY ? undefined : debugLog(g) });
    try {
      const { runPlayScreen } = await launching;
      const start = story ? { kind: 'open' as const, id: story.id } : opts.new ? { kind: 'new' as const, title: opts.title!.trim(), premise: opts.premise!.trim() } : { kind: 'pick' as const };
      ({ stoppedBy } = await runPlayScreen({ store, loaded, session, start, mouse: opts.mouse !== false, images: opts.images !== false }));
    } finally {
      await session.close();
    }
  } finally {
    await store.close();
  }
  if (stoppedBy) throw new LunaError(`stopped by ${stoppedBy}; a turn in progress was cancelled (the story is unchanged, its paid calls are in the ledger)`, SIGNAL_EXIT_CODES[stoppedBy]);
}

type TuiModule = typeof import('../../tui/launch.js');

/** The bundled TUI (dist/tui.bundle.js, see scripts/bundle-tui.mjs) loads ~4× faster; the module graph is the fallback. */
async function loadTui(): Promise<TuiModule> {
  const bundle = new URL('../../../tui.bundle.js', import.meta.url);
  if (existsSync(bundle)) return (await import(bundle.href)) as TuiModule;
  return import('../../tui/launch.js');
}
