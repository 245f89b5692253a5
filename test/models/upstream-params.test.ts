import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openaiModelSchema } from '../../src/config/schema.js';
import { createOpenAICompatibleClient } from '../../src/models/openai-compatible.js';
import { startOpenAIServer, type LoopbackServer } from '../helpers/openai-server.js';
import { GEMINI_UNKNOWN_KEYWORDS } from '../helpers/upstream-rules.js';

const KEY = 'sk-testkey-abcdefghijklmnop';

function keysDeep(node: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(node)) node.forEach((n) => keysDeep(n, out));
  else if (node && typeof node === 'object') for (const [k, v] of Object.entries(node)) { out.add(k); keysDeep(v, out); }
  return out;
}

describe('OpenAI reasoning models (o1/o3/o4/gpt-5)', () => {
  let srv: LoopbackServer;
  const make = (model: string, over: Record<string, unknown> = {}) =>
    createOpenAICompatibleClient('m', openaiModelSchema.parse({ provider: 'openai-compatible', model, baseUrl: srv.baseUrl, apiKey: KEY, timeoutMs: 3000, ...over }));
  beforeAll(async () => { srv = await startOpenAIServer({ apiKey: KEY }); });
  afterAll(() => srv.close());

  it.each(['o4-mini', 'o3', 'gpt-5-mini', 'o1-2024-12-17'])('%s gets max_completion_tokens and no stop or temperature', async (model) => {
    const r = await make(model).generate({ messages: [{ role: 'user', content: 'Go' }], maxTokens: 50, stop: ['\n\n'], temperature: 0.7 });
    expect(r.text).toBe('Once upon a time, a fox ran home.');
    const body = srv.requests.at(-1)!.body;
    expect(body.max_completion_tokens).toBe(50);
    expect(body).not.toHaveProperty('max_tokens');
    expect(body).not.toHaveProperty('stop');
    expect(body).not.toHaveProperty('temperature');
  });

  it('still ends the reply at a stop sequence, on the client side', async () => {
    srv.script({ kind: 'text', chunks: ['The fox', ' ran.\n', '\nTHE END', ' more'] });
    const r = await make('o4-mini').generate({ messages: [{ role: 'user', content: 'Go' }], stop: ['\n\n'] });
    expect(r.text).toBe('The fox ran.');
    expect(r.finishReason).toBe('stop');
  });

  it('sends reasoning_effort when configured; other models keep max_tokens and stop', async () => {
    await make('gpt-5-mini', { reasoningEffort: 'minimal' }).generate({ messages: [{ role: 'user', content: 'Go' }], maxTokens: 30 });
    expect(srv.requests.at(-1)!.body.reasoning_effort).toBe('minimal');
    await make('gpt-4o-mini').generate({ messages: [{ role: 'user', content: 'Go' }], maxTokens: 30, stop: ['x'] });
    const body = srv.requests.at(-1)!.body;
    expect(body.max_tokens).toBe(30);
    expect(body.stop).toEqual(['x']);
    expect(body).not.toHaveProperty('reasoning_effort');
  });

  it('reasoningModel: true applies the same rules to a deployment name it cannot recognise', async () => {
    await make('prod-writer', { reasoningModel: true }).generate({ messages: [{ role: 'user', content: 'Go' }], maxTokens: 40, stop: ['x'] });
    const body = srv.requests.at(-1)!.body;
    expect(body.max_completion_tokens).toBe(40);
    expect(body).not.toHaveProperty('stop');
  });
});

describe("Gemini's OpenAI-compatible endpoint", () => {
  let srv: LoopbackServer;
  const make = (model: string, over: Record<string, unknown> = {}) =>
    createOpenAICompatibleClient('g', openaiModelSchema.parse({ provider: 'openai-compatible', model, baseUrl: srv.baseUrl, apiKey: KEY, timeoutMs: 3000, ...over }));
  beforeAll(async () => { srv = await startOpenAIServer({ apiKey: KEY, upstream: 'gemini' }); });
  afterAll(() => srv.close());

  const schema = {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'Plan',
    type: 'object',
    additionalProperties: false,
    properties: {
      kind: { const: 'plan' },
      mood: { type: ['string', 'null'], default: 'calm' },
      beats: { type: 'array', items: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'], additionalProperties: false } },
      tag: { anyOf: [{ type: 'string' }, { type: 'null' }] },
    },
    required: ['kind', 'beats'],
  };

  it('strips the schema keywords Gemini refuses and keeps the structure', async () => {
    srv.script({ kind: 'json', value: { kind: 'plan', beats: [{ text: 'a' }] } });
    const r = await make('gemini-2.5-flash').generate({ messages: [{ role: 'user', content: 'plan' }], json: { name: 'plan', schema } });
    expect(JSON.parse(r.text)).toEqual({ kind: 'plan', beats: [{ text: 'a' }] });
    const sent = srv.requests.at(-1)!.body.response_format.json_schema.schema;
    const keys = keysDeep(sent);
    for (const k of GEMINI_UNKNOWN_KEYWORDS) expect(keys.has(k), k).toBe(false);
    expect(sent.properties.kind).toEqual({ type: 'string', enum: ['plan'] });
    expect(sent.properties.mood).toEqual({ type: 'string', nullable: true });
    expect(sent.properties.tag).toEqual({ type: 'string', nullable: true });
    expect(sent.properties.beats.items.required).toEqual(['text']);
    expect(sent.required).toEqual(['kind', 'beats']);
  });

  it('passes reasoningEffort as the thinking budget; 2.5 Pro, which cannot stop thinking, gets the smallest one', async () => {
    await make('gemini-2.5-flash', { reasoningEffort: 'none' }).generate({ messages: [{ role: 'user', content: 'Go' }], maxTokens: 64 });
    expect(srv.requests.at(-1)!.body.reasoning_effort).toBe('none');
    const r = await make('gemini-2.5-pro', { reasoningEffort: 'none' }).generate({ messages: [{ role: 'user', content: 'Go' }], maxTokens: 64 });
    expect(r.text.length).toBeGreaterThan(0);
    expect(srv.requests.at(-1)!.body.reasoning_effort).toBe('low');
  });
});
