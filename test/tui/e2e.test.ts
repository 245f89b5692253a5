import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
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

const ROOT = path.resolve(__dirname, '../..');
const LUNA = path.join(ROOT, 'bin/luna');
const sessions: string[] = [];
let strategist: LoopbackServer;
let writer: LoopbackServer;

const capture = (name: string) => tmux('capture-pane', '-p', '-t', name);

function startTmux(name: string, home: string, cmd: string, size = { x: 120, y: 40 }) {
  sessions.push(name);
  tmux('new-session', '-d', '-s', name, '-x', String(size.x), '-y', String(size.y), `env LUNA_HOME=${home} TERM=xterm-256color node ${LUNA} ${cmd}; echo "[exit $?]"; sleep 60`);
}

/** The text in the input box (the line after its `›` prompt), or null when no prompt is shown. */
function inputLine(screen: string): string | null {
  const line = screen.split('\n').find((l) => /^\s*› /.test(l) || /^\s*›\s*$/.test(l));
  return line === undefined ? null : line.replace(/^\s*›/, '').split('│')[0]!.trim();
}

async function waitScreen(name: string, check: (s: string) => boolean, what: string, ms = 20_000): Promise<string> {
  await waitFor(() => check(capture(name)), what, ms).catch((err: Error) => {
    throw new Error(`${err.message}; screen:\n${capture(name)}\n${paneState(name)}`);
  });
  return capture(name);
}

beforeAll(async () => {
  strategist = await startOpenAIServer();
  writer = await startOpenAIServer();
});
afterAll(async () => {
  await strategist.close();
  await writer.close();
});
afterEach(() => {
  for (const s of sessions.splice(0)) killSession(s);
});

function writeConfig(home: string): string {
  const file = path.join(home, 'play.yaml');
  writeFileSync(file, stringify({
    models: {
      planner: { provider: 'openai-compatible', baseUrl: strategist.baseUrl, model: 'planner-1', maxRetries: 0, timeoutMs: 5000, price: { inputPerMTok: 1, outputPerMTok: 5 } },
      scribe: { provider: 'openai-compatible', baseUrl: writer.baseUrl, model: 'scribe-1', maxRetries: 0, timeoutMs: 5000, price: { inputPerMTok: 0, outputPerMTok: 0 } },
    },
    agents: { preprocessor: { model: 'scribe' }, strategist: { model: 'planner' }, writer: { model: 'scribe' }, dreamer: { model: 'scribe', inProcess: false } },
  }));
  return file;
}

describe('luna play in a real terminal (tmux)', () => {
  it('plays a turn, /undo, /cost, survives a resize and quits; the database matches', async () => {
    const home = mkdtempSync(path.join(tmpdir(), 'luna-play-e2e-'));
    const configFile = writeConfig(home);
    const loaded = loadConfig({ home, configFile, env: {} });
    let store = await openStore(loaded.config.database, home, { autoMigrateSqlite: true });
    const story = await store.createStory({ title: 'Harbour Lights', premise: 'A smuggler returns to Saltmarsh Quay.' });
    await store.close();
    strategist.setDefault({ kind: 'json', value: planJson(), usage: { prompt_tokens: 1000, completion_tokens: 200 } });
    writer.script(
      { kind: 'text', chunks: ['The quay ', 'is quiet ', 'tonight.'], delayMs: 50 },
      { kind: 'text', chunks: ['Maren ', 'lights a lantern.'], delayMs: 50 },
    );
    const name = `luna-e2e-${process.pid}-${Date.now()}`;
    startTmux(name, home, `--config ${configFile} play ${story.id}`);
    await waitScreen(name, (s) => s.includes('LUNA · Harbour Lights') && s.includes('›'), 'the play screen');
    tmux('send-keys', '-t', name, '-l', 'I walk to the end of the pier');
    tmux('send-keys', '-t', name, 'Enter');
    await waitScreen(name, (s) => s.includes('The quay is quiet tonight.') && s.includes('session 1 turn '), 'the first turn');
    tmux('send-keys', '-t', name, '-l', 'I light a lantern');
    tmux('send-keys', '-t', name, 'Enter');
    await waitScreen(name, (s) => s.includes('Maren lights a lantern.') && s.includes('session 2 turns'), 'the second turn');

    tmux('send-keys', '-t', name, '-l', '/undo');
    tmux('send-keys', '-t', name, 'Enter');
    await waitScreen(name, (s) => s.includes('undid turn 2') && !s.includes('Maren lights a lantern.') && inputLine(s) === 'I light a lantern', 'undo, with the action back in the input');
    tmux('send-keys', '-t', name, 'C-c'); // clear the restored action
    await waitScreen(name, (s) => inputLine(s) === '', 'the cleared input');
    tmux('send-keys', '-t', name, '-l', '/cost');
    await waitScreen(name, (s) => inputLine(s)?.startsWith('/cost') === true, 'the typed command');
    tmux('send-keys', '-t', name, 'Enter');
    const cost = await waitScreen(name, (s) => s.includes('── spend per agent ──'), 'the cost panel');
    // Two Strategist calls at 1000×$1/M + 200×$5/M = $0.002 each.
    expect(cost).toMatch(/strategist\s+2\s+2400\s+\$0\.0040/);
    tmux('send-keys', '-t', name, 'Escape');
    await waitScreen(name, (s) => !s.includes('── spend per agent ──'), 'closing the panel');

    tmux('resize-window', '-t', name, '-x', '70', '-y', '20');
    const narrow = await waitScreen(name, (s) => s.split('\n')[0]!.length <= 70 && s.includes('The quay is quiet tonight.') && !s.includes('In play'), 'the narrow layout');
    expect(narrow.split('\n').every((l) => l.length <= 70)).toBe(true);
    tmux('resize-window', '-t', name, '-x', '120', '-y', '40');
    await waitScreen(name, (s) => s.includes('In play') && s.includes('The quay is quiet tonight.'), 'the wide layout again');

    tmux('send-keys', '-t', name, 'C-d');
    const after = await waitScreen(name, (s) => s.includes('[exit 0]'), 'a clean exit');
    expect(after).not.toContain('LUNA · Harbour Lights'); // the alternate screen is gone

    store = await openStore(loaded.config.database, home, { autoMigrateSqlite: true });
    try {
      const s = await store.getStory(story.id);
      const branch = await store.getBranch(story.id, s!.headTurnId);
      expect(branch.map((t) => t.prose)).toEqual(['The quay is quiet tonight.']);
      expect(await store.countTurns(story.id)).toBe(2); // the undone turn stays as a branch
      expect((await store.listLeaves(story.id)).map((t) => t.prose).sort()).toEqual(['Maren lights a lantern.']);
    } finally {
      await store.close();
    }
  }, 90_000);

  it('first run without a usable model shows the setup screen and writes the config', async () => {
    const home = mkdtempSync(path.join(tmpdir(), 'luna-play-setup-'));
    const name = `luna-setup-${process.pid}-${Date.now()}`;
    startTmux(name, home, 'play');
    await waitScreen(name, (s) => s.includes("let's pick a model") && s.includes('stories260K.gguf'), 'the setup screen');
    tmux('send-keys', '-t', name, '3');
    await waitScreen(name, (s) => s.includes('Base URL') && s.includes('http://127.0.0.1:1234/v1'), 'the URL field with its default');
    // Typing replaces the default (it used to append to it); a second URL glued on is refused inline.
    tmux('send-keys', '-t', name, '-l', `${writer.baseUrl}http://127.0.0.1:1/v1`);
    tmux('send-keys', '-t', name, 'Enter');
    const refused = await waitScreen(name, (s) => s.includes('✗'), 'the inline URL error');
    expect(refused).toContain(`Base URL: ${writer.baseUrl}http://127.0.0.1:1/v1`);
    expect(refused.split('\n').find((l) => l.includes('Base URL:'))).not.toContain('1234');
    expect(refused).not.toContain('Model name');
    // Ctrl-U clears the field for a fresh try.
    tmux('send-keys', '-t', name, 'C-u');
    await waitScreen(name, (s) => !s.includes('127.0.0.1:1/v1'), 'the cleared field');
    tmux('send-keys', '-t', name, '-l', writer.baseUrl);
    tmux('send-keys', '-t', name, 'Enter');
    await waitScreen(name, (s) => s.includes('Model name'), 'the model field');
    tmux('send-keys', '-t', name, '-l', 'scribe-1');
    tmux('send-keys', '-t', name, 'Enter');
    await waitScreen(name, (s) => s.includes('pick a story'), 'the story picker');
    const yaml = readFileSync(path.join(home, 'luna.yaml'), 'utf8');
    expect(yaml).toContain(`baseUrl: "${writer.baseUrl}"`);
    expect(yaml).toContain('model: "scribe-1"');
    expect(statSync(path.join(home, 'luna.yaml')).mode & 0o777).toBe(0o600);
    tmux('send-keys', '-t', name, 'q');
    await waitScreen(name, (s) => s.includes('[exit 0]'), 'a clean exit');
  }, 60_000);

  it('refuses politely when stdout is not a terminal', () => {
    const home = mkdtempSync(path.join(tmpdir(), 'luna-play-pipe-'));
    const r = spawnSync('node', [LUNA, 'play'], { env: { ...process.env, LUNA_HOME: home }, encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('luna play needs an interactive terminal');
    expect(r.stderr).toContain('luna turn');
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });
});
