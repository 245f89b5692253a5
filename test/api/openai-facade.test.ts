import OpenAI from 'openai';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { planJson } from '../helpers/pipeline-fixture.js';
import { apiFixture, type ApiFixture } from './api-fixture.js';

let f: ApiFixture;
let client: OpenAI;
beforeEach(async () => {
  f = await apiFixture();
  client = new OpenAI({ baseURL: `${f.url}/v1`, apiKey: f.keys.a, maxRetries: 0 });
});
afterEach(async () => {
  await f.close();
});

const script = (prose: string[]) => {
  f.fx.strategist.script({ kind: 'json', value: planJson(), usage: { prompt_tokens: 900, completion_tokens: 120 } });
  f.fx.writer.script({ kind: 'text', chunks: prose, usage: { prompt_tokens: 1500, completion_tokens: 40 } });
};

describe('OpenAI-compatible facade, driven by the openai SDK', () => {
  it('lists the model and plays a new conversation as a new story, then continues it with X-Luna-Story', async () => {
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toEqual(['luna']);

    script(['Maren lifts ', 'Dawnbreaker.']);
    const { data, response } = await client.chat.completions
      .create({ model: 'luna', messages: [{ role: 'system', content: 'A keeper named Maren finds a stranger on the rocks.' }, { role: 'user', content: 'I ask who sent him' }] })
      .withResponse();
    expect(data.choices[0]!.message.content).toBe('Maren lifts Dawnbreaker.');
    expect(data.usage).toEqual({ prompt_tokens: 2400, completion_tokens: 160, total_tokens: 2560 });
    const storyId = response.headers.get('x-luna-story')!;
    const story = await f.fx.store.getStory(storyId);
    expect(story).toMatchObject({ accountId: 'a', premise: 'A keeper named Maren finds a stranger on the rocks.' });

    script(['He ', 'says nothing.']);
    const stream = await client.chat.completions.create(
      {
        model: 'luna',
        stream: true,
        stream_options: { include_usage: true },
        messages: [
          { role: 'user', content: 'I ask who sent him' },
          { role: 'assistant', content: 'Maren lifts Dawnbreaker.' },
          { role: 'user', content: [{ type: 'text', text: 'I wait for an answer' }] },
        ],
      },
      { headers: { 'X-Luna-Story': storyId } },
    );
    let text = '';
    let usage: OpenAI.CompletionUsage | null | undefined;
    let finish: string | null = null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe('He says nothing.');
    expect(finish).toBe('stop');
    expect(usage).toMatchObject({ prompt_tokens: 2400, completion_tokens: 160 });
    const turns = await f.fx.store.getBranch(storyId, (await f.fx.store.getStory(storyId))!.headTurnId);
    expect(turns.map((t) => t.action)).toEqual(['I ask who sent him', 'I wait for an answer']);
  });

  it('the user field names a conversation: the same name continues the same story', async () => {
    script(['One.']);
    const r1 = await client.chat.completions.create({ model: 'luna', user: 'lighthouse-chat', messages: [{ role: 'user', content: 'I climb the stairs' }] }).withResponse();
    script(['Two.']);
    const r2 = await client.chat.completions.create({ model: 'luna', user: 'lighthouse-chat', messages: [{ role: 'user', content: 'I light the lamp' }] }).withResponse();
    const id = r1.response.headers.get('x-luna-story')!;
    expect(r2.response.headers.get('x-luna-story')).toBe(id);
    expect(await f.fx.store.countTurns(id)).toBe(2);
  });

  it('errors reach the SDK as APIError with our body; another account\'s story is not found', async () => {
    await expect(client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] })).rejects.toMatchObject({ status: 404 });
    const story = await f.fx.store.createStory({ accountId: 'b', title: 'B only', premise: '' });
    const err = await client.chat.completions.create({ model: 'luna', messages: [{ role: 'user', content: 'hi' }] }, { headers: { 'X-Luna-Story': story.id } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(404);
    expect((err as InstanceType<typeof OpenAI.APIError>).message).toContain('no story');
    const bad = new OpenAI({ baseURL: `${f.url}/v1`, apiKey: 'luna_wrong', maxRetries: 0 });
    await expect(bad.models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
  });
});
