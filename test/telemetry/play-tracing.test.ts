import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { openStore } from '../../src/store/open.js';
import { startOpenAIServer, type LoopbackServer } from '../helpers/openai-server.js';
import { startOtlpCollector, type OtlpCollector } from '../helpers/otlp-collector.js';
import { planJson } from '../helpers/pipeline-fixture.js';
import { waitFor } from '../tui/helpers.js';

const ROOT = path.resolve(__dirname, '../..');
const LUNA = path.join(ROOT, 'bin/luna');
let model: LoopbackServer;
let collector: OtlpCollector;
const session = `luna-otel-play-${process.pid}-${Date.now()}`;

const tmux = (...args: string[]) => execFileSync('tmux', args, { encoding: 'utf8' });
const screen = () => tmux('capture-pane', '-p', '-t', session);
const waitScreen = (check: (s: string) => boolean, what: string) =>
  waitFor(() => check(screen()), what, 30_000).catch((err: Error) => {
    throw new Error(`${err.message}; screen:\n${screen()}`);
  });

beforeAll(async () => {
  model = await startOpenAIServer();
  collector = await startOtlpCollector();
});
afterAll(async () => {
  spawnSync('tmux', ['kill-session', '-t', session]);
  await model.close();
  await collector.close();
});

describe('luna play with tracing on', () => {
  it('each turn played in the full-screen UI is a trace with its stages and model calls', async () => {
    const home = mkdtempSync(path.join(tmpdir(), 'luna-otel-play-'));
    const configFile = path.join(home, 'play.yaml');
    writeFileSync(configFile, stringify({
      models: { loop: { provider: 'openai-compatible', baseUrl: model.baseUrl, model: 'loop-1', maxRetries: 0, price: { inputPerMTok: 1, outputPerMTok: 5 } } },
      agents: { preprocessor: { model: 'loop' }, strategist: { model: 'loop' }, writer: { model: 'loop' }, dreamer: { model: 'loop', inProcess: false } },
      telemetry: { otlp: { endpoint: collector.url } },
    }));
    const loaded = loadConfig({ home, configFile, env: {} });
    const store = await openStore(loaded.config.database, home, { autoMigrateSqlite: true });
    const story = await store.createStory({ title: 'Traced Quay', premise: 'A smuggler returns to Saltmarsh Quay.' });
    await store.close();
    model.script(
      { kind: 'json', value: planJson(), usage: { prompt_tokens: 210, completion_tokens: 30 } },
      { kind: 'text', chunks: ['The quay ', 'is quiet.'], usage: { prompt_tokens: 400, completion_tokens: 6 } },
    );
    tmux('new-session', '-d', '-s', session, '-x', '120', '-y', '40', `env LUNA_HOME=${home} TERM=xterm-256color OTEL_EXPORTER_OTLP_ENDPOINT= OTEL_SDK_DISABLED= node ${LUNA} --config ${configFile} play ${story.id}; echo "[exit $?]"; sleep 60`);
    await waitScreen((s) => s.includes('LUNA · Traced Quay') && s.includes('›'), 'the play screen');
    tmux('send-keys', '-t', session, '-l', 'I walk to the end of the pier');
    tmux('send-keys', '-t', session, 'Enter');
    await waitScreen((s) => s.includes('The quay is quiet.'), 'the turn');
    tmux('send-keys', '-t', session, 'C-d');
    await waitScreen((s) => s.includes('[exit 0]'), 'a clean exit');

    const spans = await collector.waitFor((s) => s.some((x) => x.name === 'luna.turn'));
    const turn = spans.find((x) => x.name === 'luna.turn')!;
    expect(turn.attrs).toMatchObject({ 'luna.front_end': 'play', 'luna.story.id': story.id, 'luna.turn.depth': 1 });
    const mine = spans.filter((s) => s.traceId === turn.traceId);
    for (const stage of ['luna.preprocessor', 'luna.strategist', 'luna.writer', 'luna.commit']) expect(mine.find((s) => s.name === stage)?.parentSpanId, stage).toBe(turn.spanId);
    const writer = mine.find((s) => s.name === 'chat loop-1' && s.attrs['luna.agent'] === 'writer')!;
    expect(mine.find((s) => s.spanId === writer.parentSpanId)?.name).toBe('luna.writer');
    expect(writer.attrs).toMatchObject({ 'gen_ai.usage.input_tokens': 400, 'gen_ai.usage.output_tokens': 6 });
    expect(collector.rejected).toEqual([]);
  }, 90_000);
});
