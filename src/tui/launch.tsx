import { render } from 'ink';
import type { LoadedConfig } from '../config/load.js';
import type { StarterChoice } from '../config/starter.js';
import type { Session } from '../runtime/session.js';
import type { Store } from '../store/types.js';
import { App, type PlayStart } from './app.js';
import { Setup } from './setup.js';
import { detectColor, makeTheme } from './theme.js';

/** Terminal plumbing for `luna play`: alternate screen, optional mouse wheel reporting, and restoring both. */
const ALT_ON = '\x1b[?1049h\x1b[H';
const ALT_OFF = '\x1b[?1049l';
// 1000: button events (wheel arrives as buttons 64/65); 1006: SGR encoding, unambiguous at any column.
const MOUSE_ON = '\x1b[?1000h\x1b[?1006h';
const MOUSE_OFF = '\x1b[?1000l\x1b[?1006l';

export async function runSetupScreen(missing: { model: string; path: string }[], configFile: string): Promise<StarterChoice | null> {
  let choice: StarterChoice | null = null;
  const theme = makeTheme(detectColor());
  const app = render(<Setup missing={missing} configFile={configFile} theme={theme} onDone={(c) => (choice = c)} />, { exitOnCtrlC: false });
  await app.waitUntilExit();
  app.cleanup();
  return choice;
}

export async function runPlayScreen(opts: { store: Store; loaded: LoadedConfig; session: Session; start: PlayStart; mouse: boolean }): Promise<void> {
  const out = process.stdout;
  const theme = makeTheme(detectColor());
  const restore = () => out.write((opts.mouse ? MOUSE_OFF : '') + ALT_OFF);
  out.write(ALT_ON + (opts.mouse ? MOUSE_ON : ''));
  // A crash must not leave the terminal in the alternate screen with mouse reporting on.
  process.once('exit', restore);
  try {
    const app = render(<App store={opts.store} loaded={opts.loaded} session={opts.session} start={opts.start} theme={theme} />, { exitOnCtrlC: false, patchConsole: true });
    await app.waitUntilExit();
    app.cleanup();
  } finally {
    process.off('exit', restore);
    restore();
  }
}
