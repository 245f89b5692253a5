import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAnthropicServer } from '../helpers/anthropic-server.js';
import { startModelFileServer, type ModelFileServer } from '../helpers/model-file-server.js';
import { startOpenAIServer, type LoopbackServer } from '../helpers/openai-server.js';

// The loopback servers are shared test infrastructure: check them against the real SDK parsers.
describe('OpenAI loopback server with the real openai SDK', () => {
  let srv: LoopbackServer;
  let client: OpenAI;
  beforeAll(async () => {
    srv = await startOpenAIServer({ models: ['m1', 'm2'] });
    client = new OpenAI({ baseURL: srv.baseUrl, apiKey: 'sk-test', maxRetries: 0, timeout: 2000 });
  });
  afterAll(() => srv.close());

  it('streams chunks with usage in the final chunk', async () => {
    srv.script({ kind: 'text', chunks: ['Hello', ' world'], usage: { prompt_tokens: 11, completion_tokens: 2, cached_tokens: 4 } });
    const stream = await client.chat.completions.create({ model: 'm1', messages: [{ role: 'user', content: 'hi' }], stream: true, stream_options: { include_usage: true } });
    const texts: string[] = [];
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      const d = chunk.choices[0]?.delta?.content;
      if (d) texts.push(d);
      if (chunk.usage) usage = chunk.usage;
    }
    expect(texts).toEqual(['Hello', ' world']);
    expect(usage?.prompt_tokens).toBe(11);
    expect(usage?.prompt_tokens_details?.cached_tokens).toBe(4);
    expect(srv.requests.at(-1)?.body.stream_options).toEqual({ include_usage: true });
  });

  it('answers non-streamed requests, lists models and embeds', async () => {
    srv.script({ kind: 'json', value: { a: 1 } });
    const r = await client.chat.completions.create({ model: 'm1', messages: [{ role: 'user', content: 'x' }] });
    expect(JSON.parse(r.choices[0]!.message.content!)).toEqual({ a: 1 });
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toEqual(['m1', 'm2']);
    const emb = await client.embeddings.create({ model: 'e', input: ['a b', 'c'] });
    expect(emb.data).toHaveLength(2);
  });

  it('returns exact error bodies and retry-after headers', async () => {
    srv.script({ kind: 'error', status: 429, retryAfter: 2 });
    const err = await client.chat.completions.create({ model: 'm1', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    const e = err as InstanceType<typeof OpenAI.RateLimitError>;
    expect(e.code).toBe('rate_limit_exceeded');
    expect(e.headers.get('retry-after')).toBe('2');
  });

  it('cuts a stream mid-way', async () => {
    srv.script({ kind: 'cut', chunks: ['partial'] });
    const stream = await client.chat.completions.create({ model: 'm1', messages: [{ role: 'user', content: 'x' }], stream: true });
    const seen: string[] = [];
    await expect((async () => { for await (const c of stream) seen.push(c.choices[0]?.delta?.content ?? ''); })()).rejects.toThrow();
    expect(seen.join('')).toBe('partial');
  });
});

describe('Anthropic loopback server with the real @anthropic-ai/sdk', () => {
  let srv: LoopbackServer;
  let client: Anthropic;
  beforeAll(async () => {
    srv = await startAnthropicServer();
    client = new Anthropic({ baseURL: srv.baseUrl, apiKey: 'sk-ant-test', maxRetries: 0, timeout: 2000 });
  });
  afterAll(() => srv.close());

  it('streams text and tool_use input_json_delta with usage', async () => {
    srv.script({ kind: 'text', chunks: ['Hi', ' there'], usage: { prompt_tokens: 9, completion_tokens: 2, cached_tokens: 3 } });
    const msg = await client.messages.stream({ model: 'claude-x', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }).finalMessage();
    expect(msg.content[0]).toMatchObject({ type: 'text', text: 'Hi there' });
    expect(msg.usage).toMatchObject({ input_tokens: 9, output_tokens: 2, cache_read_input_tokens: 3 });
    srv.script({ kind: 'json', value: { beats: ['a', 'b'] } });
    const tool = await client.messages.stream({
      model: 'claude-x', max_tokens: 10, messages: [{ role: 'user', content: 'plan' }],
      tools: [{ name: 'plan', input_schema: { type: 'object' } }], tool_choice: { type: 'tool', name: 'plan' },
    }).finalMessage();
    expect(tool.content[0]).toMatchObject({ type: 'tool_use', name: 'plan', input: { beats: ['a', 'b'] } });
    expect(tool.stop_reason).toBe('tool_use');
  });

  it('returns typed errors: 429 with retry-after, 529 overloaded', async () => {
    srv.script({ kind: 'error', status: 429, retryAfter: 3 }, { kind: 'error', status: 529 });
    const e1 = await client.messages.create({ model: 'c', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(Anthropic.RateLimitError);
    expect((e1 as InstanceType<typeof Anthropic.APIError>).headers?.get('retry-after')).toBe('3');
    const e2 = await client.messages.create({ model: 'c', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect((e2 as InstanceType<typeof Anthropic.APIError>).status).toBe(529);
    expect(String((e2 as Error).message)).toContain('overloaded_error');
  });
});

describe('model file server', () => {
  let srv: ModelFileServer;
  beforeAll(async () => { srv = await startModelFileServer(); });
  afterAll(() => srv.close());

  it('serves ranges and cuts once', async () => {
    const full = Buffer.from(await (await fetch(`${srv.baseUrl}/stories260K.gguf`)).arrayBuffer());
    const part = await fetch(`${srv.baseUrl}/stories260K.gguf`, { headers: { range: 'bytes=100-199' } });
    expect(part.status).toBe(206);
    expect(Buffer.from(await part.arrayBuffer())).toEqual(full.subarray(100, 200));
    srv.cutNextAt(1000);
    await expect(fetch(`${srv.baseUrl}/stories260K.gguf`).then((r) => r.arrayBuffer())).rejects.toThrow();
    expect((await fetch(`${srv.baseUrl}/x/y/resolve/main/stories260K.gguf`)).status).toBe(200);
  });
});
