import { render } from 'ink-testing-library';
import { App, type PlayStart } from '../../src/tui/app.js';
import type { InlineImages } from '../../src/tui/inline-image.js';
import { makeTheme } from '../../src/tui/theme.js';
import { afterEach } from 'vitest';
import { pipelineFixture, type PipelineFixture } from '../helpers/pipeline-fixture.js';

export const KEY = { enter: '\r', esc: '\x1b', ctrlC: '\x03', ctrlD: '\x04', ctrlT: '\x14', tab: '\t', up: '\x1b[A', down: '\x1b[B', pageUp: '\x1b[5~', pageDown: '\x1b[6~', altEnter: '\x1b\r', backspace: '\x7f' };

/** Fixture config with the Dreamer out of process: turns commit without background jobs running. */
export const NO_DREAMER = {
  agents: { preprocessor: { model: 'scribe' }, strategist: { model: 'planner' }, writer: { model: 'scribe' }, dreamer: { model: 'scribe', inProcess: false } },
};

export async function waitFor(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 15));
  }
}

// What a test opened (fixtures, rendered apps), closed after it in reverse order: apps before their stores.
const opened: (() => unknown)[] = [];
afterEach(async () => {
  for (const close of opened.splice(0).reverse()) await close();
});

/** A pipeline fixture (real store, loopback model servers) that is closed after the test. */
export async function openFixture(extra?: Parameters<typeof pipelineFixture>[0]): Promise<PipelineFixture> {
  const fx = await pipelineFixture(extra);
  opened.push(() => fx.close());
  return fx;
}

/** Renders the real App over the fixture's store and session (real pipeline, loopback model servers); unmounted after the test. */
export function renderApp(fx: PipelineFixture, start: PlayStart, size = { columns: 120, rows: 30 }, images?: InlineImages) {
  let quit = false;
  const ui = render(<App onQuit={() => (quit = true)} store={fx.store} loaded={fx.loaded} session={fx.session} start={start} theme={makeTheme(false)} size={size} pingIntervalMs={200} flushMs={30} images={images} />);
  opened.push(() => ui.unmount());
  const frame = () => ui.lastFrame() ?? '';
  return {
    ui,
    frame,
    quitted: () => quit,
    /** Types text one key at a time, as a terminal delivers it. */
    async type(text: string) {
      for (const ch of text) {
        ui.stdin.write(ch);
        await new Promise((r) => setImmediate(r));
      }
    },
    async press(key: string) {
      ui.stdin.write(key);
      // Ink holds a lone Esc briefly to tell it from an escape sequence.
      await new Promise((r) => setTimeout(r, key === KEY.esc ? 80 : 5));
    },
    waitFor: (check: (f: string) => boolean, what: string, ms?: number) =>
      waitFor(() => check(frame()), what, ms).catch((err: Error) => {
        throw new Error(`${err.message}; last frame:\n${frame()}`);
      }),
  };
}
