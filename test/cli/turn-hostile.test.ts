import { execa } from 'execa';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadConfig } from '../../src/config/load.js';
import { openStore } from '../../src/store/open.js';
import { BIN, luna, ROOT, tempHome } from '../helpers/cli.js';
import { startOpenAIServer, type LoopbackServer } from '../helpers/openai-server.js';
import { planJson } from '../helpers/pipeline-fixture.js';
import { waitFor } from '../tui/helpers.js';

/** Clear screen, an OSC 0 window title ended by BEL, and a C1 CSI (U+009B). */
const H = '\x1b[2J\x1b]0;pwned\x07\x9b31m';
const CONTROL = /[\x00-\x09\x0b-\x1f\x7f-\x9f]/;

let home: string;
let planner: LoopbackServer;
let writer: LoopbackServer;

beforeAll(async () => {
  home = tempHome('luna-turn-hostile-');
  planner = await startOpenAIServer();
  writer = await startOpenAIServer();
  planner.setDefault({ kind: 'json', value: planJson(), usage: { prompt_tokens: 1000, completion_tokens: 200 } });
  writeFileSync(path.join(home, 'luna.yaml'), stringify({
    models: {
      planner: { provider: 'openai-compatible', baseUrl: planner.baseUrl, model: 'planner-1', maxRetries: 0, price: { inputPerMTok: 1, outputPerMTok: 5 } },
      scribe: { provider: 'openai-compatible', baseUrl: writer.baseUrl, model: 'scribe-1', maxRetries: 0, price: { inputPerMTok: 0, outputPerMTok: 0 } },
      'scribe-backup': { provider: 'openai-compatible', baseUrl: writer.baseUrl, model: 'scribe-2', maxRetries: 0, price: { inputPerMTok: 0, outputPerMTok: 0 } },
    },
    agents: {
      preprocessor: { model: 'scribe' },
      strategist: { model: 'planner' },
      writer: { model: 'scribe', fallbacks: ['scribe-backup'] },
      dreamer: { model: 'scribe', inProcess: false },
    },
  }));
});
afterAll(async () => {
  await planner.close();
  await writer.close();
});

async function newStory(title: string): Promise<string> {
  const r = await luna(['story', 'new', '--title', title, '--premise', 'Maren keeps the light', '--json'], { home });
  expect(r.exitCode, r.stderr).toBe(0);
  return JSON.parse(r.stdout).id as string;
}

async function withStore<T>(fn: (store: Awaited<ReturnType<typeof openStore>>) => Promise<T>): Promise<T> {
  const loaded = loadConfig({ home, env: {} });
  const store = await openStore(loaded.config.database, home, { autoMigrateSqlite: true });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

describe('luna turn output with hostile prose', () => {
  it('plain output shows escape sequences as text; --json keeps the prose exact', async () => {
    const id = await newStory('Escapes');
    const prose = `The door${H} opens.\r\nBeyond it, darkness.`;
    writer.script({ kind: 'text', chunks: ['The door\x1b[2J\x1b]0;pw', 'ned\x07\x9b31m opens.\r', '\nBeyond it, darkness.'] });
    const r = await luna(['turn', id, 'I open the door'], { home });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toBe('The door␛[2J␛]0;pwned␇␛[31m opens.\nBeyond it, darkness.'); // execa drops the final newline
    expect(r.stdout).not.toMatch(CONTROL);

    writer.script({ kind: 'text', chunks: [prose] });
    const j = await luna(['turn', id, 'I step through', '--json'], { home });
    expect(j.exitCode, j.stderr).toBe(0);
    expect(JSON.parse(j.stdout).prose).toBe(prose);
  });
});

describe('a Writer that restarts on its fallback mid-stream', () => {
  it('on a pipe, no partial prose: only the saved prose, and the warning names the model (never an empty reason)', async () => {
    const id = await newStory('Restart');
    writer.script({ kind: 'cut', chunks: ['PARTIAL-PROSE that ', 'broke off'] }, { kind: 'text', chunks: ['Fresh ', 'prose.'] });
    const r = await luna(['turn', id, 'I listen'], { home });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toBe('Fresh prose.');
    expect(r.stderr).toContain("warning: the Writer's stream broke");
    expect(r.stderr).toContain('on scribe-backup');
    expect(r.stderr).not.toMatch(/\(\s*[\w-]*:\s*\)/);
  });

  it('--json lists the restart among the warnings', async () => {
    const id = await newStory('Restart json');
    writer.script({ kind: 'cut', chunks: ['PARTIAL-PROSE'] }, { kind: 'text', chunks: ['Clean take.'] });
    const r = await luna(['turn', id, 'I listen', '--json'], { home });
    expect(r.exitCode, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.prose).toBe('Clean take.');
    expect(out.warnings).toEqual([expect.stringContaining("the Writer's stream broke")]);
    expect(out.warnings[0]).toContain('scribe-backup');
  });
});

describe('luna turn stopped by a signal mid-turn', () => {
  for (const [signal, code] of [['SIGTERM', 143], ['SIGHUP', 129]] as const) {
    it(`${signal}: the turn is cancelled, the calls already made are in the ledger, no turn is written, exit ${code}`, async () => {
      const id = await newStory(`Stopped by ${signal}`);
      const before = writer.requests.filter((r) => r.path.endsWith('/chat/completions')).length;
      writer.script({ kind: 'text', chunks: Array.from({ length: 40 }, (_, i) => `word${i} `), delayMs: 250 });
      const child = execa('node', [BIN, 'turn', id, 'I wait for dawn'], { cwd: ROOT, reject: false, env: { LUNA_HOME: home, NO_COLOR: '1' } });
      // The Strategist has answered (paid) and the Writer is streaming.
      await waitFor(() => writer.requests.filter((r) => r.path.endsWith('/chat/completions')).length > before, 'the Writer call', 20_000);
      child.kill(signal);
      const r = await child;
      expect(r.signal, r.stderr).toBeUndefined();
      expect(r.exitCode).toBe(code);
      expect(r.stderr).toContain(`luna: stopped by ${signal}: the turn was cancelled and the story is unchanged`);
      await withStore(async (store) => {
        expect(await store.countTurns(id)).toBe(0);
        const calls = await store.listCalls({ storyId: id });
        expect(calls.map((c) => c.agent).sort()).toEqual(['strategist', 'writer']);
        expect(calls.find((c) => c.agent === 'strategist')?.costUsd).toBeCloseTo(0.002, 6);
      });
    });
  }
});
