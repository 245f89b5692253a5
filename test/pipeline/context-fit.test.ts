import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadConfig } from '../../src/config/load.js';
import { combineEndpointSources } from '../../src/models/endpoints.js';
import type { TurnEvent } from '../../src/pipeline/events.js';
import { runTurn } from '../../src/pipeline/run-turn.js';
import { createSession } from '../../src/runtime/session.js';
import { openStore } from '../../src/store/open.js';
import { startFakeLlamaCpp, type FakeLlamaCppOptions } from '../helpers/llamacpp-fake.js';
import { planJson } from '../helpers/pipeline-fixture.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (closers.length) await closers.pop()!();
});

const PROSE = 'Maren climbed the lighthouse stairs while the storm beat on the glass. '.repeat(12);

async function story(server: Partial<FakeLlamaCppOptions> & { nCtx: number }, modelExtra: Record<string, unknown> = {}) {
  const fake = await startFakeLlamaCpp({ json: planJson(), prose: PROSE, ...server });
  const home = mkdtempSync(path.join(tmpdir(), 'luna-fit-'));
  const configFile = path.join(home, 'luna.yaml');
  writeFileSync(configFile, stringify({
    models: { tiny: { provider: 'openai-compatible', baseUrl: fake.baseUrl, model: 'tiny.gguf', maxRetries: 0, timeoutMs: 5000, ...modelExtra } },
    agents: { preprocessor: { model: 'tiny' }, strategist: { model: 'tiny' }, writer: { model: 'tiny', maxTokens: 200 }, dreamer: { model: 'tiny', inProcess: false } },
  }));
  const loaded = loadConfig({ home, configFile, env: {} });
  const store = await openStore(loaded.config.database, home, { autoMigrateSqlite: true });
  const session = await createSession(store, loaded, { endpoints: combineEndpointSources([]) });
  closers.push(async () => {
    await session.close();
    await store.close();
    await fake.close();
  });
  const s = await store.createStory({ title: 'The Lighthouse', premise: 'Maren guards a lighthouse on a storm coast. '.repeat(4) });
  const play = async (action: string): Promise<TurnEvent[]> => {
    const events: TurnEvent[] = [];
    for await (const e of runTurn({ storyId: s.id, action }, session.deps)) events.push(e);
    return events;
  };
  return { fake, play, store, storyId: s.id };
}

const outcome = (events: TurnEvent[]) => events.find((e) => e.type === 'done' || e.type === 'error');

describe('prompts fit the model context window (llama.cpp dialect)', () => {
  it('a story stays playable far past the window: prompt + reply always fit, counted with the server tokenizer', async () => {
    const { fake, play } = await story({ nCtx: 1024, charsPerToken: 2 });
    for (let i = 0; i < 14; i++) {
      const e = outcome(await play(`Maren searches room ${i} of the lighthouse`));
      expect(e?.type, JSON.stringify(e)).toBe('done');
    }
    expect(fake.refused).toBe(0);
    const chats = fake.requests.filter((r) => r.path === '/v1/chat/completions');
    expect(chats).toHaveLength(28);
    chats.forEach((r, i) => expect(fake.accepted[i]! + r.body.max_tokens).toBeLessThanOrEqual(1024));
    // The history is many times the window: fitting really trimmed it.
    expect(PROSE.length * 14).toBeGreaterThan(1024 * 2 * 5);
    expect(fake.requests.some((r) => r.path === '/tokenize')).toBe(true);
  });

  it('a server that counts more than its tokenizer said refuses once; the turn refits to its numbers and lands', async () => {
    const { fake, play } = await story({ nCtx: 1024, charsPerToken: 2, hiddenTokens: 300 });
    for (let i = 0; i < 8; i++) { const e = outcome(await play(`Maren opens door ${i}`)); expect(e?.type).toBe("done"); }
    expect(fake.refused).toBeGreaterThan(0);
  });

  it('without a tokenizer the window still comes from /v1/models and a refusal is refitted', async () => {
    const { fake, play } = await story({ nCtx: 1024, charsPerToken: 1.5, noTokenizer: true });
    for (let i = 0; i < 8; i++) { const e = outcome(await play(`Maren opens door ${i}`)); expect(e?.type).toBe("done"); }
    expect(fake.requests.filter((r) => r.path === '/v1/models')).toHaveLength(1);
  });

  it('a window too small for the instructions alone fails with the window and the fix, not "models that are down"', async () => {
    const { play, store, storyId } = await story({ nCtx: 256, charsPerToken: 1 });
    const e = outcome(await play('Maren lights the lamp and looks out over the dark water for the returning boats'));
    expect(e?.type).toBe('error');
    if (e?.type !== 'error') return;
    expect(e.exitCode).toBe(6);
    expect(e.message).toMatch(/context window of 256 tokens/);
    expect(e.hint).toMatch(/-c N|larger context/);
    expect(e.message + (e.hint ?? '')).not.toMatch(/down|HTTP 400 400/);
    expect((await store.getStory(storyId))?.headTurnId).toBeNull();
  });

  it('a prompt far inside a large window skips the tokenizer round trip once the estimate is calibrated', async () => {
    const { fake, play } = await story({ nCtx: 32_768, charsPerToken: 2 });
    for (let i = 0; i < 4; i++) expect(outcome(await play(`Maren opens door ${i}`))?.type).toBe('done');
    // 8 prompts; only the first is counted exactly (plus at most one sample for characters per token).
    expect(fake.requests.filter((r) => r.path === '/tokenize').length).toBeLessThanOrEqual(2);
    expect(fake.requests.filter((r) => r.path === '/v1/chat/completions')).toHaveLength(8);
  });

  it('a configured contextTokens wins over the server', async () => {
    const { fake, play } = await story({ nCtx: 4096, charsPerToken: 2 }, { contextTokens: 900 });
    for (let i = 0; i < 6; i++) expect(outcome(await play(`Maren opens door ${i}`))?.type).toBe('done');
    const chats = fake.requests.filter((r) => r.path === '/v1/chat/completions');
    chats.forEach((r, i) => expect(fake.accepted[i]! + r.body.max_tokens).toBeLessThanOrEqual(900));
  });
});

describe('structured output on a server that does not take response_format json_schema', () => {
  it('jsonSchema: false on llama.cpp sends its own json_schema field, which it enforces', async () => {
    const { fake, play } = await story({ nCtx: 4096 }, { jsonSchema: false });
    expect(outcome(await play('Maren opens the door'))?.type).toBe('done');
    const plan = fake.requests.find((r) => r.path === '/v1/chat/completions' && r.body.json_schema);
    expect(plan?.body.json_schema.properties.beats.maxItems).toBeGreaterThan(0);
    expect(plan?.body.response_format).toBeUndefined();
  });
});
