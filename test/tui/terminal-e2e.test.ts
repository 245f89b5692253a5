import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { openStore } from '../../src/store/open.js';
import { planJson } from '../helpers/pipeline-fixture.js';
import { startOpenAIServer, type LoopbackServer } from '../helpers/openai-server.js';
import { waitFor } from './helpers.js';
import { killSession, paneState, tmux } from '../helpers/tmux.js';

/**
 * luna play and luna turn in a real terminal (tmux) under hostile input and faults: a 200 KB paste, signals,
 * an uncaught error, a Writer restart and escape sequences in prose. The terminal's own state is read back from
 * tmux (alternate screen, mouse reporting, cursor, window title), not inferred from the app.
 */
const ROOT = path.resolve(__dirname, '../..');
const LUNA = path.join(ROOT, 'bin/luna');
const sessions: string[] = [];
let strategist: LoopbackServer;
let writer: LoopbackServer;

const capture = (name: string) => tmux('capture-pane', '-p', '-t', name);
/** alternate screen on, any mouse reporting on, cursor visible: "1 1 0" in play, "0 0 1" once restored. */
const modes = (name: string) => tmux('display', '-p', '-t', name, '#{alternate_on} #{mouse_any_flag} #{cursor_flag}').trim();

function start(name: string, home: string, cmd: string, size = { x: 120, y: 40 }) {
  sessions.push(name);
  tmux('new-session', '-d', '-s', name, '-x', String(size.x), '-y', String(size.y), `env LUNA_HOME=${home} TERM=xterm-256color ${cmd}; echo "[exit $?]"; sleep 60`);
}

/** The node process the pane's shell started. */
function appPid(name: string): number {
  const shell = tmux('display', '-p', '-t', name, '#{pane_pid}').trim();
  const out = execFileSync('ps', ['-o', 'pid=', '--ppid', shell], { encoding: 'utf8' }).trim().split(/\s+/);
  return Number(out[0]);
}

async function waitScreen(name: string, check: (s: string) => boolean, what: string, ms = 20_000): Promise<string> {
  await waitFor(() => check(capture(name)), what, ms).catch((err: Error) => {
    throw new Error(`${err.message}; screen:\n${capture(name)}\n${paneState(name)}`);
  });
  return capture(name);
}

/** Bracketed paste still on would wrap a paste into the shell as ^[[200~…^[[201~ (the tty echoes ESC as ^[). */
async function expectNoBracketedPaste(name: string) {
  tmux('set-buffer', '-b', 'probe', 'zq-probe');
  tmux('paste-buffer', '-p', '-b', 'probe', '-t', name);
  const s = await waitScreen(name, (x) => x.includes('zq-probe'), 'the probe echoed by the shell');
  expect(s).not.toContain('[200~');
}

beforeAll(async () => {
  strategist = await startOpenAIServer();
  writer = await startOpenAIServer();
  strategist.setDefault({ kind: 'json', value: planJson(), usage: { prompt_tokens: 1000, completion_tokens: 200 } });
});
afterAll(async () => {
  await strategist.close();
  await writer.close();
});
afterEach(() => {
  for (const s of sessions.splice(0)) killSession(s);
});

async function setupHome(title = 'Harbour Lights') {
  const home = mkdtempSync(path.join(tmpdir(), 'luna-term-e2e-'));
  const configFile = path.join(home, 'luna.yaml');
  writeFileSync(configFile, stringify({
    models: {
      planner: { provider: 'openai-compatible', baseUrl: strategist.baseUrl, model: 'planner-1', maxRetries: 0, timeoutMs: 10_000, price: { inputPerMTok: 1, outputPerMTok: 5 } },
      scribe: { provider: 'openai-compatible', baseUrl: writer.baseUrl, model: 'scribe-1', maxRetries: 0, timeoutMs: 10_000, price: { inputPerMTok: 0, outputPerMTok: 0 } },
      'scribe-backup': { provider: 'openai-compatible', baseUrl: writer.baseUrl, model: 'scribe-2', maxRetries: 0, timeoutMs: 10_000, price: { inputPerMTok: 0, outputPerMTok: 0 } },
    },
    agents: { preprocessor: { model: 'scribe' }, strategist: { model: 'planner' }, writer: { model: 'scribe', fallbacks: ['scribe-backup'] }, dreamer: { model: 'scribe', inProcess: false } },
  }));
  const loaded = loadConfig({ home, env: {} });
  const store = await openStore(loaded.config.database, home, { autoMigrateSqlite: true });
  const story = await store.createStory({ title, premise: 'A smuggler returns to Saltmarsh Quay.' });
  await store.close();
  const open = () => openStore(loaded.config.database, home, { autoMigrateSqlite: true });
  return { home, story, open };
}

const name = (what: string) => `luna-${what}-${process.pid}-${Date.now()}`;

describe('luna play in a real terminal, under hostile input and faults', () => {
  it('a 200 KB bracketed paste lands as one capped entry with a notice, and the app answers keys at once', async () => {
    const { home, story } = await setupHome();
    const n = name('paste');
    start(n, home, `node ${LUNA} play ${story.id}`);
    await waitScreen(n, (s) => s.includes('LUNA · Harbour Lights') && s.includes('›'), 'the play screen');
    const file = path.join(home, 'paste.txt');
    writeFileSync(file, 'the keeper walks the rocks and the lantern swings\n'.repeat(4000).slice(0, 200_000));
    tmux('load-buffer', '-b', 'big', file);
    tmux('paste-buffer', '-p', '-b', 'big', '-t', n);
    await waitScreen(n, (s) => s.includes('paste cut at 10000 characters'), 'the cut notice');
    // Responsive: the pasted newlines did not submit anything; Ctrl-C clears the entry, Ctrl-D quits.
    tmux('send-keys', '-t', n, 'C-c');
    await waitScreen(n, (s) => !s.includes('lantern swings'), 'the cleared entry');
    tmux('send-keys', '-t', n, 'C-d');
    await waitScreen(n, (s) => s.includes('[exit 0]'), 'a clean exit');
    expect(modes(n)).toBe('0 0 1');
    await expectNoBracketedPaste(n);
  }, 60_000);

  it('SIGTERM mid-turn cancels the turn (its calls reach the ledger), restores the terminal and exits 143', async () => {
    const { home, story, open } = await setupHome();
    writer.script({ kind: 'text', chunks: Array.from({ length: 60 }, (_, i) => `word${i} `), delayMs: 200 });
    const n = name('term');
    start(n, home, `node ${LUNA} play ${story.id}`);
    await waitScreen(n, (s) => s.includes('LUNA · Harbour Lights') && s.includes('›'), 'the play screen');
    expect(modes(n)).toBe('1 1 0');
    tmux('send-keys', '-t', n, '-l', 'I wait for the tide');
    tmux('send-keys', '-t', n, 'Enter');
    await waitScreen(n, (s) => s.includes('word1 '), 'the streaming prose');
    process.kill(appPid(n), 'SIGTERM');
    const after = await waitScreen(n, (s) => s.includes('[exit 143]'), 'exit 143');
    expect(after).toContain('luna: stopped by SIGTERM');
    expect(modes(n)).toBe('0 0 1');
    await expectNoBracketedPaste(n);
    const store = await open();
    try {
      expect(await store.countTurns(story.id)).toBe(0);
      expect((await store.listCalls({ storyId: story.id })).map((c) => c.agent).sort()).toEqual(['strategist', 'writer']);
    } finally {
      await store.close();
    }
  }, 60_000);

  it('SIGHUP restores the terminal and exits 129', async () => {
    const { home, story } = await setupHome();
    const n = name('hup');
    start(n, home, `node ${LUNA} play ${story.id}`);
    await waitScreen(n, (s) => s.includes('LUNA · Harbour Lights') && s.includes('›'), 'the play screen');
    expect(modes(n)).toBe('1 1 0');
    process.kill(appPid(n), 'SIGHUP');
    await waitScreen(n, (s) => s.includes('[exit 129]'), 'exit 129');
    expect(modes(n)).toBe('0 0 1');
    await expectNoBracketedPaste(n);
  }, 60_000);

  it('an uncaught error restores the terminal before its message is printed', async () => {
    const home = mkdtempSync(path.join(tmpdir(), 'luna-term-crash-'));
    const script = path.join(home, 'crash.mjs');
    writeFileSync(script, [
      `import { enterPlayTerminal } from ${JSON.stringify(path.join(ROOT, 'dist/src/tui/terminal.js'))};`,
      'enterPlayTerminal(process.stdout, { mouse: true });',
      "process.stdout.write('\\x1b[?25l');",
      "setTimeout(() => { throw new Error('boom from the play screen'); }, 1500);",
    ].join('\n'));
    const n = name('crash');
    start(n, home, `node ${script}`);
    await waitFor(() => modes(n) === '1 1 0', 'the play modes on');
    const after = await waitScreen(n, (s) => s.includes('[exit 1]'), 'the crash');
    expect(after).toContain('Error: boom from the play screen');
    expect(modes(n)).toBe('0 0 1');
    await expectNoBracketedPaste(n);
  }, 30_000);
});

describe('luna turn on a terminal', () => {
  it('erases the partial prose of a Writer that restarts, and escape sequences in prose neither clear the screen nor retitle the window', async () => {
    const { home, story } = await setupHome();
    writer.script(
      { kind: 'cut', chunks: ['PARTIAL-PROSE that ', 'will ', 'be taken ', 'back'], delayMs: 100 },
      { kind: 'text', chunks: ['The lamp \x1b]0;pwned\x07', 'burns\x1b[2J ', 'steady.'], delayMs: 50 },
    );
    const n = name('turn');
    const run = path.join(home, 'turn.sh');
    writeFileSync(run, `printf 'LINE-BEFORE\\n'\nexec node ${LUNA} turn ${story.id} "I trim the wick"\n`);
    start(n, home, `sh ${run}`);
    const s = await waitScreen(n, (x) => x.includes('[exit 0]'), 'the turn');
    expect(s).toContain('LINE-BEFORE'); // nothing cleared the screen
    expect(s).toContain('· plan: '); // the erase took back the prose rows only
    expect(s).toContain('The lamp ␛]0;pwned␇burns␛[2J steady.');
    expect(s).not.toContain('PARTIAL-PROSE');
    expect(s).toContain("warning: the Writer's stream broke");
    expect(tmux('display', '-p', '-t', n, '#{pane_title}')).not.toContain('pwned');
  }, 60_000);
});
