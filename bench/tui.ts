import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { loadConfig, PACKAGE_ROOT } from '../src/config/load.js';
import { openStore } from '../src/store/open.js';
import { generateStory } from './story-gen.js';

/**
 * `luna play` benchmarks: (1) time from launching the built CLI on a 10,000-turn story to an interactive
 * screen, in a real pseudo-terminal (tmux); (2) rendering cost while the Writer streams 200 tokens/s
 * from a loopback OpenAI-wire server: frames rendered, CPU ms per token, and whether every token arrived;
 * (3) a 200 KB paste into the input line, bracketed and not, in tmux: time until the capped entry and its
 * notice are on screen, then until a key typed after it shows (the app answers again).
 */
const LUNA = path.join(PACKAGE_ROOT, 'bin/luna');
const TINY = path.resolve(PACKAGE_ROOT, '../shared/models/stories260K.gguf');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round = (v: number, d = 2) => Math.round(v * 10 ** d) / 10 ** d;

async function startupOnLongStory(home: string): Promise<Record<string, unknown>> {
  const cfg = path.join(home, 'bench.yaml');
  writeFileSync(cfg, `models:\n  demo:\n    provider: local\n    path: ${JSON.stringify(TINY)}\n    threads: 1\n`);
  const loaded = loadConfig({ home, configFile: cfg, env: {} });
  const store = await openStore(loaded.config.database, home, { autoMigrateSqlite: true });
  const { bundle } = generateStory({ turns: 10_000, facts: [] });
  const story = await store.importStory(bundle);
  await store.close();
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const name = `luna-bench-${process.pid}-${i}`;
    const t0 = performance.now();
    execFileSync('tmux', ['new-session', '-d', '-s', name, '-x', '120', '-y', '40', `env LUNA_HOME=${home} node ${LUNA} --config ${cfg} play ${story.id}; sleep 30`]);
    try {
      for (;;) {
        const screen = execFileSync('tmux', ['capture-pane', '-p', '-t', name], { encoding: 'utf8' });
        // Interactive: the title with the turn number, the newest prose and the prompt are on screen.
        if (screen.includes('turn 10000') && screen.includes('›')) break;
        if (performance.now() - t0 > 20_000) throw new Error(`no interactive screen after 20 s:\n${screen}`);
        await sleep(5);
      }
      times.push(performance.now() - t0);
    } finally {
      spawnSync('tmux', ['kill-session', '-t', name]);
    }
  }
  times.sort((a, b) => a - b);
  return { turns: 10_000, runs: times.map((t) => round(t, 0)), medianMs: round(times[1]!, 0), goalMs: 1000 };
}

/** A minimal OpenAI-wire server: a JSON plan for the Strategist, `tokens` SSE deltas at `rate`/s for the Writer. */
async function startWire(tokens: string[], rate: number): Promise<{ server: Server; baseUrl: string }> {
  const plan = JSON.stringify({ intent: 'walk', tone: 'calm', beats: ['a'], entities: [], factChanges: [] });
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (d) => (raw += d));
    req.on('end', async () => {
      if (req.method === 'GET') return res.writeHead(200, { 'content-type': 'application/json' }).end('{"object":"list","data":[{"id":"m","object":"model"}]}');
      const body = JSON.parse(raw || '{}');
      const isPlan = Boolean(body.response_format);
      const chunk = (content: string | null, finish: string | null) => `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 0, model: 'm', choices: [{ index: 0, delta: content === null ? {} : { content }, finish_reason: finish }] })}\n\n`;
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const parts = isPlan ? [plan] : tokens;
      const t0 = performance.now();
      for (let i = 0; i < parts.length; i++) {
        if (!isPlan) {
          const due = t0 + (i * 1000) / rate;
          if (due > performance.now()) await sleep(due - performance.now());
        }
        res.write(chunk(parts[i]!, null));
      }
      res.write(chunk(null, 'stop'));
      res.write(`data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 0, model: 'm', choices: [], usage: { prompt_tokens: 100, completion_tokens: parts.length, total_tokens: 100 + parts.length } })}\n\n`);
      res.end('data: [DONE]\n\n');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1` };
}

async function streamingCost(home: string): Promise<Record<string, unknown>> {
  const n = 600;
  const rate = 200;
  const tokens = Array.from({ length: n }, (_, i) => `w${i} `);
  const wire = await startWire(tokens, rate);
  const cfg = path.join(home, 'stream.yaml');
  writeFileSync(cfg, [
    'models:',
    `  m: { provider: openai-compatible, baseUrl: "${wire.baseUrl}", model: m, maxRetries: 0, price: { inputPerMTok: 0, outputPerMTok: 0 } }`,
    'agents:',
    '  preprocessor: { model: m }',
    '  strategist: { model: m }',
    `  writer: { model: m, maxTokens: ${n + 10} }`,
    '  dreamer: { model: m, inProcess: false }',
    'database: { url: "sqlite:' + path.join(home, 'stream.db') + '" }',
    '',
  ].join('\n'));
  const loaded = loadConfig({ home, configFile: cfg, env: {} });
  const store = await openStore(loaded.config.database, home, { autoMigrateSqlite: true });
  const { bundle } = generateStory({ turns: 2000, facts: [] });
  const story = await store.importStory(bundle);
  const { createSession } = await import('../src/runtime/session.js');
  const session = await createSession(store, loaded);
  const [{ render }, { createElement }, { App }, { makeTheme }] = await Promise.all([import('ink'), import('react'), import('../src/tui/app.js'), import('../src/tui/theme.js')]);
  let bytes = 0;
  const stdout = Object.assign(new Writable({ write: (c: Buffer, _e, cb) => ((bytes += c.length), cb()) }), { columns: 120, rows: 40, isTTY: true });
  const stdin = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => undefined, ref: () => undefined, unref: () => undefined });
  let frames = 0;
  const app = render(createElement(App, { store, loaded, session, start: { kind: 'open', id: story.id }, theme: makeTheme(true), pingIntervalMs: 60_000 }), {
    stdout: stdout as unknown as NodeJS.WriteStream,
    stdin: stdin as unknown as NodeJS.ReadStream,
    exitOnCtrlC: false,
    patchConsole: false,
    onRender: () => void frames++,
  });
  try {
    await sleep(1500);
    const before = (await store.getStory(story.id))!.headTurnId;
    frames = 0;
    bytes = 0;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    stdin.write('go on\r');
    let head = before;
    while (head === before) {
      await sleep(20);
      head = (await store.getStory(story.id))!.headTurnId;
      if (performance.now() - t0 > 30_000) throw new Error('the streamed turn did not finish');
    }
    const wallMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const turn = await store.getTurn(head!);
    const received = turn!.prose.split(/\s+/).filter(Boolean).length;
    return {
      tokens: n,
      tokensPerSecond: rate,
      wallMs: round(wallMs, 0),
      framesRendered: frames,
      framesPerSecond: round(frames / (wallMs / 1000), 1),
      cpuMsPerToken: round((cpu.user + cpu.system) / 1000 / n, 3),
      bytesWrittenPerToken: round(bytes / n, 0),
      droppedTokens: n - received,
      note: 'CPU includes the in-process loopback server and pipeline; scrollback holds the last 100 of 2000 turns',
    };
  } finally {
    app.unmount();
    await session.close();
    await store.close();
    await new Promise((r) => wire.server.close(r));
  }
}

async function pasteToSettled(home: string): Promise<Record<string, unknown>> {
  const cfg = path.join(home, 'paste.yaml');
  writeFileSync(cfg, `models:\n  demo:\n    provider: local\n    path: ${JSON.stringify(TINY)}\n    threads: 1\ndatabase: { url: "sqlite:${path.join(home, 'paste.db')}" }\n`);
  const loaded = loadConfig({ home, configFile: cfg, env: {} });
  const store = await openStore(loaded.config.database, home, { autoMigrateSqlite: true });
  const story = await store.createStory({ title: 'Paste', premise: 'p' });
  await store.close();
  // Lines for the bracketed paste; one long line without brackets, where a pasted Enter would play the entry as
  // an action (a terminal without bracketed paste cannot tell a paste from typing).
  const text = 'the keeper walks the rocks and the lantern swings\n'.repeat(4000).slice(0, 200_000);
  const files = { b: path.join(home, 'paste-lines.txt'), p: path.join(home, 'paste-line.txt') };
  writeFileSync(files.b, text);
  writeFileSync(files.p, text.replace(/\n/g, ' '));
  const out: Record<string, unknown> = { pasteBytes: 200_000 };
  for (const bracketed of [true, false]) {
    const name = `luna-bench-paste-${process.pid}-${bracketed ? 'b' : 'p'}`;
    execFileSync('tmux', ['new-session', '-d', '-s', name, '-x', '120', '-y', '40', `env LUNA_HOME=${home} node ${LUNA} --config ${cfg} play ${story.id}; sleep 30`]);
    const screen = () => execFileSync('tmux', ['capture-pane', '-p', '-t', name], { encoding: 'utf8' });
    const until = async (check: (s: string) => boolean, what: string) => {
      const t0 = performance.now();
      while (!check(screen())) {
        if (performance.now() - t0 > 60_000) throw new Error(`no ${what} after 60 s:\n${screen()}`);
        await sleep(5);
      }
    };
    try {
      await until((s) => s.includes('LUNA · Paste') && s.includes('›'), 'play screen');
      execFileSync('tmux', ['load-buffer', '-b', 'bench', bracketed ? files.b : files.p]);
      const t0 = performance.now();
      execFileSync('tmux', ['paste-buffer', ...(bracketed ? ['-p'] : []), '-b', 'bench', '-t', name]);
      await until((s) => s.includes('paste cut at'), 'cut notice');
      const settled = performance.now() - t0;
      execFileSync('tmux', ['send-keys', '-t', name, 'C-c']);
      execFileSync('tmux', ['send-keys', '-t', name, '-l', 'zz-typed']);
      await until((s) => s.includes('› zz-typed'), 'typed key');
      out[bracketed ? 'bracketed' : 'unbracketed'] = { settledMs: round(settled, 0), answersKeysMs: round(performance.now() - t0, 0) };
    } finally {
      spawnSync('tmux', ['kill-session', '-t', name]);
    }
  }
  return { ...out, goalMs: 1000, note: 'from paste-buffer to the capped entry and its notice on screen; answersKeysMs adds Ctrl-C and typing after it' };
}

export async function run(): Promise<Record<string, unknown>> {
  const home = mkdtempSync(path.join(tmpdir(), 'luna-bench-tui-'));
  try {
    const startup = await startupOnLongStory(home);
    const streaming = await streamingCost(home);
    const paste = await pasteToSettled(home);
    return { startup, streaming, paste };
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}
