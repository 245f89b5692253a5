import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anthropicModelSchema, openaiModelSchema } from '../../src/config/schema.js';
import { AuthError, isAbortError, ModelError } from '../../src/errors.js';
import { createAnthropicClient } from '../../src/models/anthropic.js';
import { createOpenAICompatibleClient } from '../../src/models/openai-compatible.js';
import type { ModelClient, StreamChunk } from '../../src/models/types.js';
import { startAnthropicServer } from '../helpers/anthropic-server.js';
import { startOpenAIServer, type LoopbackServer } from '../helpers/openai-server.js';

const KEY = 'sk-testkey-abcdefghijklmnop';
const schema = { type: 'object', properties: { beats: { type: 'array', items: { type: 'string' } } }, required: ['beats'], additionalProperties: false };

async function drain(it: AsyncIterable<StreamChunk>): Promise<StreamChunk[]> {
  const out: StreamChunk[] = [];
  for await (const c of it) out.push(c);
  return out;
}

describe('openai-compatible provider', () => {
  let srv: LoopbackServer;
  let client: ModelClient;
  const make = (over: Record<string, unknown> = {}) =>
    createOpenAICompatibleClient('gpt', openaiModelSchema.parse({ provider: 'openai-compatible', model: 'gpt-4o-mini', baseUrl: srv.baseUrl, apiKey: KEY, timeoutMs: 1500, ...over }));
  beforeAll(async () => {
    srv = await startOpenAIServer({ apiKey: KEY, models: ['gpt-4o-mini'] });
    client = make();
  });
  afterAll(() => srv.close());

  it('streams text and takes usage (with cached tokens) from the final chunk', async () => {
    srv.script({ kind: 'text', chunks: ['The', ' fox', ' ran.'], usage: { prompt_tokens: 42, completion_tokens: 3, cached_tokens: 10 } });
    const chunks = await drain(client.stream({ system: 'Be brief.', messages: [{ role: 'user', content: 'Go' }], maxTokens: 20 }));
    expect(chunks.filter((c) => c.type === 'text').map((c) => (c as { text: string }).text)).toEqual(['The', ' fox', ' ran.']);
    expect(chunks.at(-1)).toEqual({ type: 'done', usage: { inputTokens: 42, outputTokens: 3, cachedTokens: 10, estimated: false }, finishReason: 'stop' });
    const body = srv.requests.at(-1)!.body;
    expect(body.stream).toBe(true);
    expect(body.stream_options).toEqual({ include_usage: true });
    expect(body.max_tokens).toBe(20);
    expect(body.messages[0]).toEqual({ role: 'system', content: 'Be brief.' });
  });

  it('estimates usage when the server reports none', async () => {
    srv.script({ kind: 'text', chunks: ['Hello there'], noUsage: true });
    const r = await client.generate({ messages: [{ role: 'user', content: 'Say hello to everyone' }] });
    expect(r.usage.estimated).toBe(true);
    expect(r.usage.inputTokens).toBeGreaterThan(0);
    expect(r.usage.outputTokens).toBeGreaterThan(0);
  });

  it('asks for json_schema when the model supports it, json_object plus the schema in the prompt otherwise', async () => {
    srv.script({ kind: 'json', value: { beats: ['a'] } }, { kind: 'json', value: { beats: ['b'] } });
    const r1 = await client.generate({ messages: [{ role: 'user', content: 'plan' }], json: { name: 'plan', schema } });
    expect(JSON.parse(r1.text)).toEqual({ beats: ['a'] });
    expect(srv.requests.at(-1)!.body.response_format).toEqual({ type: 'json_schema', json_schema: { name: 'plan', schema, strict: true } });
    const loose = make({ jsonSchema: false });
    await loose.generate({ messages: [{ role: 'user', content: 'plan' }], json: { name: 'plan', schema } });
    const body = srv.requests.at(-1)!.body;
    expect(body.response_format).toEqual({ type: 'json_object' });
    expect(body.messages[0].role).toBe('system');
    expect(body.messages[0].content).toContain(JSON.stringify(schema));
  });

  it('maps 429 to a retryable ModelError with retryAfterMs, 500 retryable, 400 not', async () => {
    srv.script({ kind: 'error', status: 429, retryAfter: 2 }, { kind: 'error', status: 500 }, { kind: 'error', status: 400, message: 'bad max_tokens' }, { kind: 'error', status: 503, retryAfterMs: 250 });
    const e429 = await client.generate({ messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e) as ModelError;
    expect(e429).toBeInstanceOf(ModelError);
    expect(e429.retryable).toBe(true);
    expect(e429.status).toBe(429);
    expect(e429.retryAfterMs).toBe(2000);
    expect(e429.message).toContain('rate_limit_exceeded');
    expect(e429.hint).toMatch(/^rate limited: the provider asks to wait 2 s; try again then, or give the agent a fallback model/);
    const e500 = await client.generate({ messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e) as ModelError;
    expect([e500.retryable, e500.status]).toEqual([true, 500]);
    expect(e500.hint).toBeUndefined();
    const e400 = await client.generate({ messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e) as ModelError;
    expect([e400.retryable, e400.status]).toEqual([false, 400]);
    expect(e400.message).toContain('bad max_tokens');
    const e503 = await client.generate({ messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e) as ModelError;
    expect(e503.retryAfterMs).toBe(250);
  });

  it('reports malformed bodies and cut streams as ModelErrors', async () => {
    srv.script({ kind: 'malformed' }, { kind: 'cut', chunks: ['Once', ' upon'] });
    const bad = await client.generate({ messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e) as ModelError;
    expect(bad).toBeInstanceOf(ModelError);
    expect(bad.message).toMatch(/malformed/);
    const seen: string[] = [];
    const cut = await (async () => { for await (const c of client.stream({ messages: [{ role: 'user', content: 'x' }] })) if (c.type === 'text') seen.push(c.text); })().catch((e: unknown) => e) as ModelError;
    expect(seen.join('')).toBe('Once upon');
    expect(cut).toBeInstanceOf(ModelError);
    expect(cut.retryable).toBe(true);
  });

  it('times out a server that never answers, and aborts on the caller signal', async () => {
    srv.script({ kind: 'hang' });
    const t = await client.generate({ messages: [{ role: 'user', content: 'x' }], timeoutMs: 300 }).catch((e: unknown) => e) as ModelError;
    expect(t).toBeInstanceOf(ModelError);
    expect(t.retryable).toBe(true);
    expect(t.message).toMatch(/timed out/);
    srv.script({ kind: 'text', chunks: ['a', 'b', 'c', 'd'], delayMs: 100 });
    const ctl = new AbortController();
    setTimeout(() => ctl.abort(), 150);
    const a = await client.generate({ messages: [{ role: 'user', content: 'x' }], signal: ctl.signal }).catch((e: unknown) => e);
    expect(isAbortError(a)).toBe(true);
  });

  it('embeds and pings; a wrong key is an AuthError that never shows the key', async () => {
    const [v1, v2] = await client.embed!(['one two', 'three']);
    expect(v1!.length).toBe(8);
    expect(Array.from(v1!)).not.toEqual(Array.from(v2!));
    expect((await client.ping()).ok).toBe(true);
    const wrong = make({ apiKey: 'sk-wrongkey-1234567890abcdef' });
    const err = await wrong.generate({ messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e) as Error;
    expect(err).toBeInstanceOf(AuthError);
    expect(err.message).not.toContain('1234567890abcdef');
    const ping = await wrong.ping();
    expect(ping.ok).toBe(false);
  });

  it('requires an API key for a public host, naming the env var only', async () => {
    const c = createOpenAICompatibleClient('cloud', openaiModelSchema.parse({ provider: 'openai-compatible', model: 'gpt-4o-mini', apiKeyEnv: 'LUNA_TEST_MISSING_KEY' }), { env: {} });
    const err = await c.generate({ messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e) as AuthError;
    expect(err).toBeInstanceOf(AuthError);
    expect(err.message).toContain('LUNA_TEST_MISSING_KEY');
    const ping = await c.ping();
    expect(ping).toMatchObject({ ok: false });
    expect(ping.detail).toContain('LUNA_TEST_MISSING_KEY');
  });
});

describe('anthropic provider', () => {
  let srv: LoopbackServer;
  let client: ModelClient;
  beforeAll(async () => {
    srv = await startAnthropicServer({ apiKey: KEY });
    client = createAnthropicClient('haiku', anthropicModelSchema.parse({ provider: 'anthropic', model: 'claude-haiku-4-5', baseUrl: srv.baseUrl, apiKey: KEY, timeoutMs: 1500 }));
  });
  afterAll(() => srv.close());

  it('streams text with usage from message_start/message_delta including cache reads', async () => {
    srv.script({ kind: 'text', chunks: ['Lily', ' smiled.'], usage: { prompt_tokens: 30, completion_tokens: 4, cached_tokens: 20 } });
    const chunks = await drain(client.stream({ system: 'Narrate.', messages: [{ role: 'user', content: 'Go' }], maxTokens: 50 }));
    expect(chunks.filter((c) => c.type === 'text').length).toBe(2);
    expect(chunks.at(-1)).toEqual({ type: 'done', usage: { inputTokens: 50, outputTokens: 4, cachedTokens: 20, estimated: false }, finishReason: 'end_turn' });
    const body = srv.requests.at(-1)!.body;
    expect(body).toMatchObject({ model: 'claude-haiku-4-5', max_tokens: 50, system: 'Narrate.', stream: true });
  });

  it('gets JSON through one forced tool, streaming input_json_delta as text', async () => {
    srv.script({ kind: 'json', value: { beats: ['x', 'y'] }, parts: 4 });
    const chunks = await drain(client.stream({ messages: [{ role: 'user', content: 'plan' }], json: { name: 'plan', schema } }));
    const text = chunks.filter((c) => c.type === 'text').map((c) => (c as { text: string }).text);
    expect(text.length).toBe(4);
    expect(JSON.parse(text.join(''))).toEqual({ beats: ['x', 'y'] });
    const body = srv.requests.at(-1)!.body;
    expect(body.tools).toEqual([{ name: 'plan', description: expect.any(String), input_schema: schema }]);
    expect(body.tool_choice).toEqual({ type: 'tool', name: 'plan' });
  });

  it('maps 429 rate_limit_error, 529 overloaded_error and 401 authentication_error', async () => {
    srv.script({ kind: 'error', status: 429, retryAfter: 1 }, { kind: 'error', status: 529 });
    const e1 = await client.generate({ messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e) as ModelError;
    expect([e1.retryable, e1.status, e1.retryAfterMs]).toEqual([true, 429, 1000]);
    expect(e1.message).toContain('rate_limit_error');
    const e2 = await client.generate({ messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e) as ModelError;
    expect([e2.retryable, e2.status]).toEqual([true, 529]);
    const bad = createAnthropicClient('haiku', anthropicModelSchema.parse({ provider: 'anthropic', model: 'claude-haiku-4-5', baseUrl: `${srv.baseUrl}/v1`, apiKey: 'sk-ant-wrong-secretsecret' }));
    const e3 = await bad.generate({ messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e) as Error;
    expect(e3).toBeInstanceOf(AuthError);
    expect(e3.message).toContain('authentication_error');
    expect(e3.message).not.toContain('secretsecret');
  });

  it('treats a cut stream and an in-stream error event as retryable failures', async () => {
    srv.script({ kind: 'cut', chunks: ['Half'] }, { kind: 'stream-error', chunks: ['Some'], type: 'overloaded_error' });
    const e1 = await client.generate({ messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e) as ModelError;
    expect(e1).toBeInstanceOf(ModelError);
    expect(e1.retryable).toBe(true);
    const e2 = await client.generate({ messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e) as ModelError;
    expect(e2).toBeInstanceOf(ModelError);
    expect(e2.message).toContain('overloaded_error');
  });

  it('pings via the models list and never throws', async () => {
    expect((await client.ping()).ok).toBe(true);
    srv.scriptRoute('models', { kind: 'error', status: 500 });
    const down = await client.ping();
    expect(down.ok).toBe(false);
    expect(down.detail).toContain('500');
    const noKey = createAnthropicClient('h', anthropicModelSchema.parse({ provider: 'anthropic', model: 'claude-haiku-4-5', apiKeyEnv: 'LUNA_TEST_NO_ANTHROPIC' }), { env: {} });
    expect((await noKey.ping()).detail).toContain('LUNA_TEST_NO_ANTHROPIC');
  });
});
