import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { loadConfig, type LoadedConfig } from '../../src/config/load.js';
import { combineEndpointSources } from '../../src/models/endpoints.js';
import type { TurnEvent } from '../../src/pipeline/events.js';
import { runTurn, type TurnInput } from '../../src/pipeline/run-turn.js';
import { createSession, type Session } from '../../src/runtime/session.js';
import { openStore } from '../../src/store/open.js';
import type { Store } from '../../src/store/types.js';
import { startOpenAIServer, type LoopbackServer } from './openai-server.js';

export { SHARED_MODELS, TINY_MODEL } from './shared.js';
import { TINY_MODEL } from './shared.js';

export interface PipelineFixture {
  home: string;
  configFile: string;
  loaded: LoadedConfig;
  store: Store;
  session: Session;
  strategist: LoopbackServer;
  writer: LoopbackServer;
  play(input: Omit<TurnInput, 'storyId'> & { storyId: string }, signal?: AbortSignal): Promise<TurnEvent[]>;
  close(): Promise<void>;
}

/**
 * A real SQLite store in a temp home and two loopback OpenAI-wire servers: one for the Strategist
 * (priced like Claude Haiku 4.5) and one for the Writer and Dreamer (self-hosted, free).
 */
export async function pipelineFixture(extra: Record<string, unknown> = {}): Promise<PipelineFixture> {
  const home = mkdtempSync(path.join(tmpdir(), 'luna-pipe-'));
  const strategist = await startOpenAIServer();
  const writer = await startOpenAIServer();
  const config = {
    models: {
      planner: { provider: 'openai-compatible', baseUrl: strategist.baseUrl, model: 'planner-1', maxRetries: 1, timeoutMs: 5000, price: { inputPerMTok: 1, outputPerMTok: 5 } },
      scribe: { provider: 'openai-compatible', baseUrl: writer.baseUrl, model: 'scribe-1', maxRetries: 0, timeoutMs: 5000, price: { inputPerMTok: 0, outputPerMTok: 0 } },
    },
    agents: {
      preprocessor: { model: 'scribe' },
      strategist: { model: 'planner' },
      writer: { model: 'scribe' },
      dreamer: { model: 'scribe', arcEvery: 3 },
    },
    ...extra,
  };
  const configFile = path.join(home, 'test.yaml');
  writeFileSync(configFile, stringify(config));
  const loaded = loadConfig({ home, configFile, env: {} });
  const store = await openStore(loaded.config.database, home, { autoMigrateSqlite: true });
  const session = await createSession(store, loaded, { endpoints: combineEndpointSources([]) });
  return {
    home,
    configFile,
    loaded,
    store,
    session,
    strategist,
    writer,
    async play(input, signal) {
      const events: TurnEvent[] = [];
      for await (const e of runTurn(input, { ...session.deps, signal })) events.push(e);
      return events;
    },
    async close() {
      await session.close();
      await store.close();
      await strategist.close();
      await writer.close();
    },
  };
}

export function planJson(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    intent: 'Maren confronts the stranger at the lighthouse',
    tone: 'tense',
    beats: ['The stranger reveals a scar', 'Maren grips her sword Dawnbreaker'],
    entities: [
      { name: 'Maren', kind: 'character' },
      { name: 'the Stranger', kind: 'character' },
    ],
    factChanges: [{ entity: 'Maren', key: 'sword', value: 'Dawnbreaker, drawn' }],
    ...over,
  };
}
