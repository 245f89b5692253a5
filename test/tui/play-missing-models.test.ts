import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { afterEach, expect, it } from 'vitest';
import { waitFor } from './helpers.js';
import { killSession, tmux } from '../helpers/tmux.js';

const LUNA = path.resolve(__dirname, '../../bin/luna');
const sessions: string[] = [];

afterEach(() => {
  for (const s of sessions.splice(0)) killSession(s);
});

it('luna play names every missing model file at once (it named only the first agent\'s)', async () => {
  const home = mkdtempSync(path.join(tmpdir(), 'luna-play-missing-'));
  const a = path.join(home, 'writer-model.gguf');
  const b = path.join(home, 'planner-model.gguf');
  const config = path.join(home, 'mine.yaml');
  writeFileSync(config, stringify({
    models: { scribe: { provider: 'local', path: a, threads: 1 }, planner: { provider: 'local', path: b, threads: 1 } },
    agents: { preprocessor: { model: 'scribe' }, strategist: { model: 'planner' }, writer: { model: 'scribe' }, dreamer: { model: 'scribe' } },
  }));
  const n = `luna-missing-${process.pid}-${Date.now()}`;
  sessions.push(n);
  tmux('new-session', '-d', '-s', n, '-x', '200', '-y', '30', `env LUNA_HOME=${home} TERM=xterm-256color node ${LUNA} --config ${config} play --new --title Harbour --premise Tides; echo "[exit $?]"; sleep 60`);
  let screen = '';
  await waitFor(() => (screen = tmux('capture-pane', '-J', '-p', '-t', n)).includes('[exit'), 'luna play to exit', 30_000);
  expect(screen).toContain('[exit 3]');
  expect(screen).toContain('model files not found');
  expect(screen).toContain(`scribe (writer, dreamer): ${a}`);
  expect(screen).toContain(`planner (strategist): ${b}`);
  expect(screen).toMatch(/hint: fix models\.planner\.path, models\.scribe\.path/);
}, 60_000);
