/**
 * The terminal modes `luna play` turns on, and putting the terminal back on every way out: a normal quit, a
 * signal (SIGTERM, SIGHUP, SIGINT from outside), an uncaught error, or process.exit. A terminal left in the
 * alternate screen with mouse reporting on is unusable until `reset`.
 */
export const ALT_ON = '\x1b[?1049h\x1b[H';
export const ALT_OFF = '\x1b[?1049l';
// 1000: button events (wheel arrives as buttons 64/65); 1006: SGR encoding, unambiguous at any column.
export const MOUSE_ON = '\x1b[?1000h\x1b[?1006h';
export const MOUSE_OFF = '\x1b[?1000l\x1b[?1006l';
/** Bracketed paste: pasted text arrives between ESC[200~ and ESC[201~ (src/tui/paste.ts). */
export const PASTE_ON = '\x1b[?2004h';
export const PASTE_OFF = '\x1b[?2004l';
export const CURSOR_SHOW = '\x1b[?25h';

export interface TerminalModes {
  /** Turns every mode off and shows the cursor. Safe to call more than once, and on a terminal that is gone. */
  restore(): void;
}

/**
 * Call before Ink is first imported, for a full-screen app on a terminal. Ink renders only a final frame when
 * CI or CONTINUOUS_INTEGRATION is set (read once, at import): with both ends a TTY a person is watching, so the
 * screen stays live even inside a CI job's terminal (luna top showed a blank screen there). React's production
 * build loads and renders faster than the development one; no dev tooling runs here.
 */
export function prepareLiveScreen(env: NodeJS.ProcessEnv = process.env): void {
  delete env.CI;
  delete env.CONTINUOUS_INTEGRATION;
  env.NODE_ENV ??= 'production';
}

/**
 * Enters the alternate screen with bracketed paste (and mouse reporting when `mouse`), and arranges for
 * `restore` to run before the process exits however it exits. Uncaught errors restore first, so their message
 * is printed on the normal screen, where it stays readable.
 */
export function enterPlayTerminal(out: NodeJS.WriteStream, opts: { mouse: boolean }): TerminalModes {
  let restored = false;
  const restore = () => {
    if (restored) return;
    restored = true;
    process.off('exit', restore);
    process.off('uncaughtExceptionMonitor', restore);
    try {
      out.write((opts.mouse ? MOUSE_OFF : '') + PASTE_OFF + ALT_OFF + CURSOR_SHOW);
    } catch {
      // a hung-up terminal: nothing left to restore
    }
  };
  out.write(ALT_ON + PASTE_ON + (opts.mouse ? MOUSE_ON : ''));
  process.once('exit', restore);
  process.once('uncaughtExceptionMonitor', restore);
  return { restore };
}
