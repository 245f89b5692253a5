import { render } from 'ink';
import type { LoadedConfig } from '../config/load.js';
import type { StarterChoice } from '../config/starter.js';
import type { Session } from '../runtime/session.js';
import type { Store } from '../store/types.js';
import { App, type PlayStart } from './app.js';
import { Setup } from './setup.js';
import { detectColor, makeTheme } from './theme.js';
import { imageFrames } from './image-frames.js';
import { detectImageProtocol } from './image-protocol.js';
import { enterPlayTerminal } from './terminal.js';
import { onStopSignals, SIGNAL_EXIT_CODES, type StopSignal } from '../util/signals.js';

export async function runSetupScreen(missing: { model: string; path: string }[], configFile: string): Promise<StarterChoice | null> {
  let choice: StarterChoice | null = null;
  const theme = makeTheme(detectColor());
  const app = render(<Setup missing={missing} configFile={configFile} theme={theme} onDone={(c) => (choice = c)} />, { exitOnCtrlC: false });
  await app.waitUntilExit();
  app.cleanup();
  return choice;
}

/** How long an orderly quit after a signal may take (cancelling a turn, stopping the Dreamer) before exiting anyway. */
const STOP_GRACE_MS = 5_000;

/**
 * Runs the play screen in the alternate screen. SIGINT, SIGTERM and SIGHUP quit as Ctrl-D does (the running turn
 * is cancelled, so its paid calls reach the ledger); a second signal, or a quit that takes longer than
 * STOP_GRACE_MS, restores the terminal and exits at once. Resolves with the signal that stopped it, if any.
 */
export async function runPlayScreen(opts: { store: Store; loaded: LoadedConfig; session: Session; start: PlayStart; mouse: boolean; images?: boolean }): Promise<{ stoppedBy: StopSignal | null }> {
  const out = process.stdout;
  const theme = makeTheme(detectColor());
  const terminal = enterPlayTerminal(out, { mouse: opts.mouse });
  const stop = new AbortController();
  let stoppedBy: StopSignal | null = null;
  let grace: NodeJS.Timeout | undefined;
  const leaveNow = (signal: StopSignal) => {
    terminal.restore();
    process.exit(SIGNAL_EXIT_CODES[signal]);
  };
  const offSignals = onStopSignals((signal) => {
    if (stoppedBy) return leaveNow(stoppedBy);
    stoppedBy = signal;
    // After SIGHUP the terminal is gone: failed writes must not turn the orderly quit into a crash.
    out.on('error', ignore);
    process.stderr.on('error', ignore);
    stop.abort();
    grace = setTimeout(() => leaveNow(signal), STOP_GRACE_MS);
    grace.unref();
  });
  try {
    const protocol = opts.images === false ? null : detectImageProtocol(process.env, out);
    // Only a terminal that shows pictures gets the frame wrapper: everywhere else Ink writes to stdout itself.
    const frames = protocol ? imageFrames(out) : null;
    const images = { protocol, write: (s: string) => void out.write(s), frames: frames ?? undefined };
    const app = render(<App store={opts.store} loaded={opts.loaded} session={opts.session} start={opts.start} theme={theme} stop={stop.signal} images={images} />,
      { exitOnCtrlC: false, patchConsole: true, stdout: frames?.stdout ?? out });
    await app.waitUntilExit();
    app.cleanup();
  } finally {
    offSignals();
    clearTimeout(grace);
    terminal.restore();
  }
  return { stoppedBy };
}

const ignore = () => undefined;
