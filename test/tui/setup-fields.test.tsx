import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { render } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import { type StarterChoice, writeStarterConfig } from '../../src/config/starter.js';
import { Setup } from '../../src/tui/setup.js';
import { makeTheme } from '../../src/tui/theme.js';
import { KEY, waitFor } from './helpers.js';

const CTRL_U = '\x15';
const DEFAULT_URL = 'http://127.0.0.1:1234/v1';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

/** Renders the first-run setup screen; its choice is written the way `luna play` does (writeStarterConfig). */
function renderSetup(env: NodeJS.ProcessEnv = { ANTHROPIC_API_KEY: 'test' }) {
  const home = mkdtempSync(path.join(tmpdir(), 'luna-setup-fields-'));
  const file = path.join(home, 'luna.yaml');
  const done: (StarterChoice | null)[] = [];
  const ui = render(
    <Setup
      missing={[{ model: 'demo', path: '/nowhere/stories260K.gguf' }]}
      configFile={file}
      theme={makeTheme(false)}
      env={env}
      onDone={(c) => {
        done.push(c);
        if (c) writeStarterConfig(home, c);
      }}
    />,
  );
  cleanups.push(() => {
    ui.unmount();
    rmSync(home, { recursive: true, force: true });
  });
  const frame = () => ui.lastFrame() ?? '';
  return {
    frame,
    done,
    yaml: () => (existsSync(file) ? readFileSync(file, 'utf8') : null),
    /** Types text one key at a time, as a terminal delivers it. */
    async type(text: string) {
      for (const ch of text) {
        ui.stdin.write(ch);
        await new Promise((r) => setImmediate(r));
      }
    },
    /** Writes one chunk at once (a paste, or tmux send-keys). */
    async paste(text: string) {
      ui.stdin.write(text);
      await new Promise((r) => setTimeout(r, 10));
    },
    async press(key: string) {
      ui.stdin.write(key);
      await new Promise((r) => setTimeout(r, key === KEY.esc ? 80 : 10));
    },
    waitFor: (check: (f: string) => boolean, what: string) =>
      waitFor(() => check(frame()), what, 5_000).catch((err: Error) => {
        throw new Error(`${err.message}; last frame:\n${frame()}`);
      }),
  };
}

async function openUrlField(s: ReturnType<typeof renderSetup>) {
  await s.waitFor((f) => f.includes("let's pick a model"), 'the setup screen');
  await s.press('3');
  await s.waitFor((f) => f.includes('Base URL:') && f.includes(DEFAULT_URL), 'the URL field with its default');
}

async function finishModel(s: ReturnType<typeof renderSetup>, model = 'writer') {
  await s.waitFor((f) => f.includes('Model name'), 'the model field');
  await s.type(model);
  await s.press(KEY.enter);
  await waitFor(() => s.done.length > 0, 'the setup choice');
}

describe('setup screen fields', () => {
  it('typing a URL over the default gives exactly the typed URL in luna.yaml', async () => {
    const s = renderSetup();
    await openUrlField(s);
    await s.type('http://127.0.0.1:18081/v1');
    await s.waitFor((f) => f.includes('Base URL: http://127.0.0.1:18081/v1'), 'the typed URL alone');
    expect(s.frame()).not.toContain('1234');
    await s.press(KEY.enter);
    await finishModel(s);
    expect(s.done).toEqual([{ kind: 'openai', baseUrl: 'http://127.0.0.1:18081/v1', model: 'writer' }]);
    expect(s.yaml()).toContain('baseUrl: "http://127.0.0.1:18081/v1"\n');
    expect(s.yaml()).toContain('model: "writer"');
  });

  it('a URL pasted with Enter in one chunk also replaces the default', async () => {
    const s = renderSetup();
    await openUrlField(s);
    await s.paste('http://127.0.0.1:18081/v1\r');
    await finishModel(s);
    expect(s.yaml()).toContain('baseUrl: "http://127.0.0.1:18081/v1"\n');
  });

  it('Enter on the untouched default accepts it', async () => {
    const s = renderSetup();
    await openUrlField(s);
    await s.press(KEY.enter);
    await finishModel(s);
    expect(s.yaml()).toContain(`baseUrl: "${DEFAULT_URL}"\n`);
  });

  it('refuses a URL with a second scheme inside, inline, keeps it for editing and writes nothing', async () => {
    const s = renderSetup();
    await openUrlField(s);
    const bad = 'http://127.0.0.1:18081/v1http://127.0.0.1:9/v1';
    await s.type(bad);
    await s.press(KEY.enter);
    await s.waitFor((f) => f.includes('✗'), 'the inline error');
    expect(s.frame()).toContain(`Base URL: ${bad}`);
    expect(s.frame()).not.toContain('Model name');
    expect(s.done).toEqual([]);
    expect(s.yaml()).toBeNull();
    // Still editable: Backspace works on the kept text, and Ctrl-U starts over.
    await s.press(KEY.backspace);
    await s.waitFor((f) => f.includes(`Base URL: ${bad.slice(0, -1)}`) && !f.includes('✗'), 'the edited URL, error cleared');
    await s.press(CTRL_U);
    await s.type('http://127.0.0.1:18081/v1');
    await s.press(KEY.enter);
    await finishModel(s);
    expect(s.yaml()).toContain('baseUrl: "http://127.0.0.1:18081/v1"\n');
  });

  it('refuses a URL with spaces inline and writes nothing', async () => {
    const s = renderSetup();
    await openUrlField(s);
    await s.type('http://127.0.0.1:18081/v1 http://x/v1');
    await s.press(KEY.enter);
    await s.waitFor((f) => f.includes('✗'), 'the inline error');
    expect(s.frame()).not.toContain('Model name');
    expect(s.done).toEqual([]);
    expect(s.yaml()).toBeNull();
  });

  it('Ctrl-U clears the field, typed text or the untouched default', async () => {
    const s = renderSetup();
    await openUrlField(s);
    await s.type('http://wrong.example/v1');
    await s.press(CTRL_U);
    await s.waitFor((f) => !f.includes('wrong.example'), 'the typed text cleared');
    await s.type('http://127.0.0.1:18081/v1');
    await s.press(KEY.enter);
    await finishModel(s);
    expect(s.yaml()).toContain('baseUrl: "http://127.0.0.1:18081/v1"\n');

    const t = renderSetup();
    await openUrlField(t);
    await t.press(CTRL_U);
    await t.waitFor((f) => !f.includes(DEFAULT_URL), 'the default cleared');
    await t.press(KEY.enter); // an empty field is refused, not replaced by the default
    await t.waitFor((f) => f.includes('✗'), 'the inline error');
    expect(t.done).toEqual([]);
  });

  it('Backspace on the untouched default clears it', async () => {
    const s = renderSetup();
    await openUrlField(s);
    await s.press(KEY.backspace);
    await s.waitFor((f) => f.includes('Base URL:') && !f.includes('127.0.0.1'), 'the default cleared');
    await s.type('https://llm.example.com/v1/');
    await s.press(KEY.enter);
    await finishModel(s);
    expect(s.yaml()).toContain('baseUrl: "https://llm.example.com/v1"\n');
  });

  it('the Claude model field replaces its default when typed over, and accepts it on Enter', async () => {
    const s = renderSetup();
    await s.waitFor((f) => f.includes("let's pick a model"), 'the setup screen');
    await s.press('4');
    await s.waitFor((f) => f.includes('Claude model:') && f.includes('claude-haiku-4-5'), 'the Claude field with its default');
    await s.type('claude-sonnet-4-5');
    await s.waitFor((f) => f.includes('Claude model: claude-sonnet-4-5') && !f.includes('haiku'), 'the typed model alone');
    await s.press(KEY.enter);
    await waitFor(() => s.done.length > 0, 'the setup choice');
    expect(s.done).toEqual([{ kind: 'anthropic', model: 'claude-sonnet-4-5' }]);
    expect(s.yaml()).toContain('model: "claude-sonnet-4-5"\n');

    const t = renderSetup();
    await t.waitFor((f) => f.includes("let's pick a model"), 'the setup screen');
    await t.press('4');
    await t.waitFor((f) => f.includes('claude-haiku-4-5'), 'the Claude field');
    await t.press(KEY.enter);
    await waitFor(() => t.done.length > 0, 'the setup choice');
    expect(t.yaml()).toContain('model: "claude-haiku-4-5"\n');
  });

  it('Tab takes the default in for editing', async () => {
    const s = renderSetup();
    await openUrlField(s);
    await s.press(KEY.tab);
    await s.press(KEY.backspace);
    await s.press(KEY.backspace);
    await s.type('v2');
    await s.press(KEY.enter);
    await finishModel(s);
    expect(s.yaml()).toContain('baseUrl: "http://127.0.0.1:1234/v2"\n');
  });

  it('keeps the screen keys: Esc goes back to the menu, q leaves without writing', async () => {
    const s = renderSetup();
    await openUrlField(s);
    await s.type('http://x');
    await s.press(KEY.esc);
    await s.waitFor((f) => f.includes('1. Use the 1.2 MB') && !f.includes('Base URL'), 'the menu again');
    await s.press('q');
    await waitFor(() => s.done.length > 0, 'leaving');
    expect(s.done).toEqual([null]);
    expect(s.yaml()).toBeNull();
  });
});
