import { render } from 'ink';
import type { LoadedConfig } from '../../config/load.js';
import type { TopActions } from '../../top/actions.js';
import type { TopCollector } from '../../top/collector.js';
import { onStopSignals } from '../../util/signals.js';
import { enterPlayTerminal } from '../terminal.js';
import { detectColor, makeTheme } from '../theme.js';
import { TopApp } from './top-app.js';

/** Runs `luna top` in the alternate screen until q, Ctrl-C or a stop signal; the terminal is put back on every way out. */
export async function runTopScreen(opts: { collector: TopCollector; intervalMs: number; loaded: LoadedConfig; actions: TopActions }): Promise<void> {
  const terminal = enterPlayTerminal(process.stdout, { mouse: false });
  let app: ReturnType<typeof render> | null = null;
  const offSignals = onStopSignals(() => app?.unmount());
  try {
    const next = () => opts.collector.snapshot();
    app = render(<TopApp next={next} intervalMs={opts.intervalMs} actions={opts.actions} theme={makeTheme(detectColor())} />, { exitOnCtrlC: false });
    await app.waitUntilExit();
    app.cleanup();
  } finally {
    offSignals();
    terminal.restore();
  }
}
