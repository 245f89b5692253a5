import { afterAll, describe, expect, it } from 'vitest';
import { localModelSchema } from '../../src/config/schema.js';
import { ConfigError, isAbortError } from '../../src/errors.js';
import { createLocalClient } from '../../src/models/local.js';
import { disposeLocalModels } from '../../src/models/local-runtime.js';
import type { StreamChunk } from '../../src/models/types.js';
import { TINY_MODEL } from '../helpers/shared.js';

const STORIES = TINY_MODEL;
const cfg = localModelSchema.parse({ provider: 'local', path: STORIES, threads: 1, contextSize: 256 });
const client = createLocalClient('demo', cfg);

afterAll(async () => {
  await client.close();
  await disposeLocalModels();
});

describe('local provider (real TinyStories GGUF through node-llama-cpp)', () => {
  it('streams text and counts usage with the model tokenizer', async () => {
    const chunks: StreamChunk[] = [];
    for await (const c of client.stream({ messages: [{ role: 'user', content: 'Once upon a time' }], maxTokens: 24, temperature: 0 })) chunks.push(c);
    const texts = chunks.filter((c) => c.type === 'text');
    const done = chunks.at(-1);
    expect(texts.length).toBeGreaterThan(1);
    expect(done?.type).toBe('done');
    if (done?.type !== 'done') return;
    expect(done.usage.estimated).toBe(false);
    expect(done.usage.outputTokens).toBeGreaterThan(0);
    expect(done.usage.outputTokens).toBeLessThanOrEqual(24);
    // "Once upon a time" is 4 Llama tokens plus BOS.
    const { getLlama } = await import('node-llama-cpp');
    const llama = await getLlama({ gpu: false, maxThreads: 1, build: 'never' });
    const model = await llama.loadModel({ modelPath: STORIES });
    expect(done.usage.inputTokens).toBe(model.tokenize('Once upon a time').length + 1);
    await model.dispose();
  });

  it('trims a prompt longer than the context, keeping its end', async () => {
    const long = 'The cat sat on the mat. '.repeat(200);
    const r = await client.generate({ messages: [{ role: 'user', content: `${long}Then the dog` }], maxTokens: 16, temperature: 0 });
    expect(r.usage.inputTokens + 16).toBeLessThanOrEqual(256);
    expect(r.usage.inputTokens).toBeGreaterThan(200);
  });

  it('produces grammar-constrained JSON that validates against the schema', async () => {
    const schema = {
      type: 'object',
      properties: { title: { type: 'string', maxLength: 24 }, mood: { enum: ['happy', 'sad'] }, count: { type: 'integer' } },
      required: ['title', 'mood', 'count'],
      additionalProperties: false,
    };
    const r = await client.generate({ messages: [{ role: 'user', content: 'Lily went to the park.' }], maxTokens: 64, temperature: 0, json: { name: 'plan', schema } });
    expect(r.finishReason).toBe('stop');
    const value = JSON.parse(r.text) as Record<string, unknown>;
    expect(Object.keys(value).sort()).toEqual(['count', 'mood', 'title']);
    expect(['happy', 'sad']).toContain(value.mood);
    expect(Number.isInteger(value.count)).toBe(true);
    expect(typeof value.title).toBe('string');
    expect((value.title as string).length).toBeLessThanOrEqual(24);
  });

  it('stops on abort and stays usable afterwards', async () => {
    const ctl = new AbortController();
    let seen = 0;
    const err = await (async () => {
      for await (const c of client.stream({ messages: [{ role: 'user', content: 'Once upon a time' }], maxTokens: 64, signal: ctl.signal })) {
        if (c.type === 'text' && ++seen === 3) ctl.abort();
      }
    })().catch((e: unknown) => e);
    expect(isAbortError(err)).toBe(true);
    const r = await client.generate({ messages: [{ role: 'user', content: 'Tom had a ball' }], maxTokens: 8 });
    expect(r.usage.outputTokens).toBeGreaterThan(0);
  });

  it('serialises concurrent generations on one context', async () => {
    const rs = await Promise.all([1, 2, 3].map((i) => client.generate({ messages: [{ role: 'user', content: `Story ${i}:` }], maxTokens: 12, temperature: 0 })));
    for (const r of rs) expect(r.usage.outputTokens).toBeGreaterThan(0);
  });

  it('embeds text', async () => {
    const [a, b] = await client.embed!(['Lily went to the park', 'Tom ate an apple']);
    expect(a!.length).toBeGreaterThan(0);
    expect(a!.length).toBe(b!.length);
    expect(Array.from(a!)).not.toEqual(Array.from(b!));
  });

  it('reports a missing model file as a ConfigError pointing at `luna models pull demo`', async () => {
    const missing = createLocalClient('demo', { ...cfg, path: '/nonexistent/stories260K.gguf' });
    const err = await missing.generate({ messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).hint).toContain('luna models pull demo');
    const ping = await missing.ping();
    expect(ping.ok).toBe(false);
    expect(ping.detail).toContain('not found');
  });
});

describe('local provider in chat mode (chat: true)', () => {
  // The tiny model has no chat template of its own; node-llama-cpp falls back to a general one, which is
  // enough to exercise the history building, trimming and usage counting a chat-tuned GGUF goes through.
  const chat = createLocalClient('chat', localModelSchema.parse({ provider: 'local', path: STORIES, threads: 1, contextSize: 256, chat: true }));
  afterAll(() => chat.close());

  it('streams a reply to a templated history and counts the template in the input', async () => {
    const messages = [{ role: 'user' as const, content: 'Tell me about Lily.' }, { role: 'assistant' as const, content: 'Lily has a red ball.' }, { role: 'user' as const, content: 'What did she do next?' }];
    const chunks: StreamChunk[] = [];
    for await (const c of chat.stream({ system: 'You tell short stories.', messages, maxTokens: 16, temperature: 0 })) chunks.push(c);
    const done = chunks.at(-1);
    expect(chunks.filter((c) => c.type === 'text').length).toBeGreaterThan(0);
    expect(done?.type).toBe('done');
    if (done?.type !== 'done') return;
    expect(done.usage.outputTokens).toBeGreaterThan(0);
    expect(done.usage.outputTokens).toBeLessThanOrEqual(16);
    const plain = await client.generate({ system: 'You tell short stories.', messages, maxTokens: 1, temperature: 0 });
    // Role markers of the template are tokens too: more input than the same text as a plain completion.
    expect(done.usage.inputTokens).toBeGreaterThan(plain.usage.inputTokens);
    const short = await chat.generate({ messages: [messages[2]!], maxTokens: 1, temperature: 0 });
    expect(short.usage.inputTokens).toBeLessThan(done.usage.inputTokens);
  });

  it('drops the oldest turns first when the history outgrows the context', async () => {
    const messages = Array.from({ length: 40 }, (_, i) => ({ role: (i % 2 ? 'assistant' : 'user') as 'user' | 'assistant', content: `Turn ${i}: the cat sat on the mat.` }));
    const r = await chat.generate({ messages: [...messages, { role: 'user', content: 'And then?' }], maxTokens: 16, temperature: 0 });
    expect(r.usage.inputTokens + 16).toBeLessThanOrEqual(256);
    expect(r.usage.inputTokens).toBeGreaterThan(100);
  });
});
