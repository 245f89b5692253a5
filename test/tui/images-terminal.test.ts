import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { decode } from 'sixel';
import { stringify } from 'yaml';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { openStore } from '../../src/store/open.js';
import { makePng } from '../helpers/comfyui-fake.js';
import { killSession, tmux } from '../helpers/tmux.js';
import { startOpenAIServer, type LoopbackServer } from '../helpers/openai-server.js';
import { addTurn } from '../store/fixtures.js';
import { waitFor } from './helpers.js';

/**
 * /image in `luna play` in a real terminal (tmux). tmux's pipe-pane records the raw bytes the app writes, so
 * the test sees the escapes themselves: none inside tmux by default (it would swallow them), iTerm2's
 * OSC 1337 with the PNG when forced with LUNA_INLINE_IMAGES (tmux with passthrough, say), and a sixel DCS
 * when the environment is a sixel terminal's (foot's TERM, no TMUX): tmux 3.3 cannot show it, but the bytes
 * the app wrote to its real terminal are what is checked.
 */
const ROOT = path.resolve(__dirname, '../..');
const LUNA = path.join(ROOT, 'bin/luna');
const sessions: string[] = [];
let model: LoopbackServer;

const capture = (name: string) => tmux('capture-pane', '-p', '-J', '-t', name);

beforeAll(async () => {
  model = await startOpenAIServer();
});
afterAll(async () => {
  await model.close();
});
afterEach(() => {
  for (const s of sessions.splice(0)) killSession(s);
});

async function homeWithImage() {
  const home = mkdtempSync(path.join(tmpdir(), 'luna-img-term-'));
  writeFileSync(path.join(home, 'luna.yaml'), stringify({
    models: { loop: { provider: 'openai-compatible', baseUrl: model.baseUrl, model: 'loop-1', maxRetries: 0, timeoutMs: 10_000, price: { inputPerMTok: 0, outputPerMTok: 0 } } },
    agents: { preprocessor: { model: 'loop' }, strategist: { model: 'loop' }, writer: { model: 'loop' }, dreamer: { model: 'loop', inProcess: false } },
  }));
  const loaded = loadConfig({ home, env: {} });
  const store = await openStore(loaded.config.database, home, { autoMigrateSqlite: true });
  const story = await store.createStory({ title: 'Harbour Lights', premise: 'A keeper and her lamp.' });
  const turn = await addTurn(store, story.id, 'I climb the tower', 'The lamp swings over black water.');
  const png = makePng(48, 24);
  mkdirSync(path.join(home, 'images', story.id), { recursive: true });
  const file = path.join(home, 'images', story.id, `${turn.id}-1.png`);
  writeFileSync(file, png);
  await store.replaceTurnImages(turn.id, 'a lighthouse at night', [{ n: 1, path: file, mime: 'image/png', width: 48, height: 24, bytes: png.length }]);
  await store.close();
  return { home, story, file, png };
}

/** `pictureEnd`: how the placed picture's bytes end (the escape's terminator, then restore-cursor); null: no picture expected. */
/** Set when a test wants to see the picture carried inside a later frame's synchronized update. */
let waitForFramed: string | null = null;

async function playAndOpenImage(what: string, env: string, pictureEnd: string | null, flags = '') {
  const { home, story, file, png } = await homeWithImage();
  const name = `luna-img-${what}-${process.pid}-${Date.now()}`;
  const raw = path.join(home, 'raw.out');
  sessions.push(name);
  tmux('new-session', '-d', '-s', name, '-x', '160', '-y', '40', `env LUNA_HOME=${home} TERM=xterm-256color ${env} node ${LUNA} play ${story.id} ${flags}; echo "[exit $?]"; sleep 60`);
  tmux('pipe-pane', '-o', '-t', name, `cat >> ${raw}`);
  await waitFor(() => capture(name).includes('The lamp swings'), 'the play screen', 20_000);
  tmux('send-keys', '-t', name, '-l', '/image');
  tmux('send-keys', '-t', name, 'Enter');
  await waitFor(() => capture(name).includes('image · turn 1'), 'the image panel', 20_000);
  const panel = capture(name);
  const recorded = () => (existsSync(raw) ? readFileSync(raw, 'latin1') : '');
  // The picture is drawn a moment after the frame; without a protocol, give it the same chance to (wrongly) appear.
  if (pictureEnd) await waitFor(() => recorded().includes(pictureEnd), 'the picture written', 20_000);
  // A later frame (the status bar ticks) redraws it inside the frame, just before the end of its synchronized update.
  if (waitForFramed) await waitFor(() => recorded().includes(waitForFramed!), 'the picture inside a frame', 20_000);
  else await new Promise((r) => setTimeout(r, 1500));
  tmux('send-keys', '-t', name, 'Escape');
  // A key right behind a lone Esc would read as Alt+key: let the Esc stand alone first.
  await waitFor(() => !capture(name).includes('image · turn 1'), 'the panel closed', 20_000);
  tmux('send-keys', '-t', name, 'C-d');
  await waitFor(() => capture(name).includes('[exit 0]'), 'a clean exit', 20_000);
  // The panel as drawn, before it closed, from the recording's own frames would need a terminal emulator;
  // the screen after quitting is the shell's, so capture the panel first.
  return { screen: panel, bytes: recorded(), file, png };
}

describe('/image in a real terminal', () => {
  it('inside tmux (no image protocol): the panel shows the path, and no image escape is ever written', async () => {
    const r = await playAndOpenImage('plain', '', null);
    expect(r.bytes).toContain('\x1b[?1049h'); // the recording works: it has the app's own escapes
    expect(r.screen).toContain(r.file);
    expect(r.bytes).not.toContain('\x1b]1337;File=');
    expect(r.bytes).not.toContain('\x1b_G');
    expect(r.bytes).not.toMatch(/\x1bP[0-9;]*q/);
  }, 90_000);

  it('--no-images wins over a forced protocol: the path only', async () => {
    const r = await playAndOpenImage('noimages', 'LUNA_INLINE_IMAGES=iterm2', null, '--no-images');
    expect(r.bytes).toContain('\x1b[?1049h');
    expect(r.screen).toContain(r.file);
    expect(r.bytes).not.toContain('\x1b]1337;File=');
  }, 90_000);

  it('LUNA_INLINE_IMAGES=iterm2: the PNG goes out as one OSC 1337 sequence, placed with the cursor saved and restored', async () => {
    waitForFramed = '\x07\x1b8\x1b[?2026l';
    const r = await playAndOpenImage('iterm2', 'LUNA_INLINE_IMAGES=iterm2', '\x07\x1b8').finally(() => (waitForFramed = null));
    const m = /\x1b7\x1b\[(\d+);1H\x1b\]1337;File=name=[^;]*;inline=1;size=(\d+);width=(\d+);height=(\d+);preserveAspectRatio=1:([A-Za-z0-9+/=]+)\x07\x1b8/.exec(r.bytes);
    expect(m, 'an OSC 1337 image placed under the panel text').not.toBeNull();
    expect(Number(m![2])).toBe(r.png.length);
    expect(Buffer.from(m![5]!, 'base64').equals(r.png)).toBe(true);
    expect(r.screen).not.toContain(r.png.toString('base64').slice(0, 40));
  }, 90_000);

  it('a terminal that reports sixel (TERM=foot, not in tmux): the picture goes out as one sixel DCS, decoded, resized and placed', async () => {
    const r = await playAndOpenImage('sixel', 'TMUX= TERM=foot', '\x1b\\\x1b8');
    const m = /\x1b7\x1b\[(\d+);1H\x1bP0;0;q([^\x1b]*)\x1b\\\x1b8/.exec(r.bytes);
    expect(m, 'a sixel image placed under the panel text').not.toBeNull();
    const img = decode(m![2]!);
    // the 48x24 PNG scaled up to its cells at 10x20 px each, keeping its 2:1 shape
    expect(img.width).toBe(img.height * 2);
    expect(img.width).toBeGreaterThan(48);
    expect(r.screen).toContain(r.file);
    expect(r.bytes).not.toContain('\x1b]1337;File=');
  }, 90_000);
});
