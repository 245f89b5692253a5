import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { LunaError, NotFoundError, UsageError } from '../errors.js';
import type { TurnEvent } from '../pipeline/events.js';
import { createStory } from '../story/ops.js';
import type { Story } from '../store/types.js';
import { type Caller, callerOf, loadStory } from './auth.js';
import { mapError } from './errors.js';
import type { ApiContext } from './server.js';
import { disconnectSignal, openSse } from './sse.js';

export const FACADE_MODEL = 'luna';
export const STORY_HEADER = 'x-luna-story';

interface ChatBody {
  model: string;
  messages: { role: string; content: unknown }[];
  stream?: boolean;
  stream_options?: { include_usage?: boolean } | null;
  user?: string;
}

/**
 * OpenAI-compatible facade: a chat client plays a LUNA story through the whole pipeline. The conversation is a
 * story: `X-Luna-Story: ID` names it, or `user` does (a story id, or a conversation name: the caller's story with
 * that title, created on first use); with neither, a new story starts, premised on the system message. The last
 * user message is the action, the reply is the prose, and usage is the turn's real token count.
 * The story id comes back in the `X-Luna-Story` response header.
 */
export function registerOpenAiFacade(app: FastifyInstance, ctx: ApiContext): void {
  app.get('/v1/models', { schema: { summary: 'OpenAI-compatible model list (one model: the LUNA pipeline)', tags: ['openai'] } }, async () => ({
    object: 'list',
    data: [{ id: FACADE_MODEL, object: 'model', created: 0, owned_by: 'luna' }],
  }));

  app.post<{ Body: ChatBody }>(
    '/v1/chat/completions',
    {
      schema: {
        summary: 'OpenAI-compatible chat completions (stream and non-stream): the last user message is the action',
        tags: ['openai'],
        headers: { type: 'object', properties: { [STORY_HEADER]: { type: 'string', description: 'the story this conversation plays' } } },
        body: {
          type: 'object',
          required: ['model', 'messages'],
          // Chat clients send sampling fields LUNA's agents set for themselves: accepted and ignored.
          additionalProperties: true,
          properties: {
            model: { type: 'string' },
            messages: { type: 'array', minItems: 1, items: { type: 'object', required: ['role'], properties: { role: { type: 'string' } } } },
            stream: { type: 'boolean' },
            stream_options: { type: ['object', 'null'], properties: { include_usage: { type: 'boolean' } } },
            user: { type: 'string', maxLength: 200 },
          },
        },
      },
    },
    async (req, reply) => chat(ctx, req, reply),
  );
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((p) => (p && typeof p === 'object' && (p as { type?: string }).type === 'text' ? String((p as { text?: unknown }).text ?? '') : '')).join('');
  return '';
}

async function storyFor(caller: Caller, req: FastifyRequest<{ Body: ChatBody }>): Promise<Story> {
  const header = req.headers[STORY_HEADER];
  if (typeof header === 'string' && header.trim()) return loadStory(caller, header.trim());
  const system = req.body.messages.filter((m) => m.role === 'system' || m.role === 'developer').map((m) => textOf(m.content)).join('\n').trim();
  const user = req.body.user?.trim();
  if (user) {
    const direct = await caller.store.getStory(user);
    if (direct && direct.accountId === caller.accountId) return direct;
    const titled = (await caller.store.listStories({ accountId: caller.accountId })).find((s) => s.accountId === caller.accountId && s.title === user);
    if (titled) return titled;
    return createStory(caller.store, caller.accountId, { title: user, premise: system });
  }
  const firstUser = textOf(req.body.messages.find((m) => m.role === 'user')?.content).trim();
  const title = (system || firstUser || 'A new story').split('\n')[0]!.slice(0, 80);
  return createStory(caller.store, caller.accountId, { title, premise: system });
}

async function chat(ctx: ApiContext, req: FastifyRequest<{ Body: ChatBody }>, reply: FastifyReply): Promise<unknown> {
  const caller = callerOf(req);
  if (req.body.model !== FACADE_MODEL) throw new NotFoundError(`body.model: no model "${req.body.model}"`, { hint: `use model "${FACADE_MODEL}" (GET /v1/models)` });
  const last = [...req.body.messages].reverse().find((m) => m.role === 'user');
  const action = textOf(last?.content).trim();
  if (!action) throw new UsageError('body.messages: no user message with text', { hint: 'the last user message is the action' });
  const story = await storyFor(caller, req);
  reply.header(STORY_HEADER, story.id);
  const events = ctx.runner.play(caller.store, { storyId: story.id, action }, disconnectSignal(reply), caller.accountId, req.traceSpan);
  const first = await events.next();
  const created = Math.floor(Date.now() / 1000);
  const id = `chatcmpl-${String(req.id)}`;
  const all = async function* () {
    if (!first.done) yield first.value;
    yield* events;
  };
  if (req.body.stream) {
    const sse = openSse(req, reply, ctx.metrics, { [STORY_HEADER]: story.id });
    const chunk = (delta: object, finish: string | null, extra: object = {}) => JSON.stringify({ id, object: 'chat.completion.chunk', created, model: FACADE_MODEL, choices: [{ index: 0, delta, finish_reason: finish }], ...extra });
    sse.data(chunk({ role: 'assistant', content: '' }, null));
    for await (const e of all()) {
      if (e.type === 'prose-token') sse.data(chunk({ content: e.text }, null));
      if (e.type === 'done') {
        sse.data(chunk({}, 'stop'));
        if (req.body.stream_options?.include_usage) {
          sse.data(JSON.stringify({ id, object: 'chat.completion.chunk', created, model: FACADE_MODEL, choices: [], usage: usage(e) }));
        }
      }
      if (e.type === 'error') sse.data(JSON.stringify(mapError(new LunaError(e.message, e.exitCode, { hint: e.hint })).body));
    }
    sse.data('[DONE]');
    sse.end();
    return reply;
  }
  let end: TurnEvent | undefined;
  for await (const e of all()) end = e;
  if (end?.type === 'error') throw new LunaError(end.message, end.exitCode, { hint: end.hint });
  if (end?.type !== 'done') throw new Error('the turn ended without a result');
  return {
    id,
    object: 'chat.completion',
    created,
    model: FACADE_MODEL,
    choices: [{ index: 0, message: { role: 'assistant', content: end.prose, refusal: null }, finish_reason: 'stop', logprobs: null }],
    usage: usage(end),
  };
}

function usage(e: Extract<TurnEvent, { type: 'done' }>) {
  return { prompt_tokens: e.totals.inputTokens, completion_tokens: e.totals.outputTokens, total_tokens: e.totals.inputTokens + e.totals.outputTokens };
}
