/**
 * A loopback server in llama.cpp's dialect (tools/server in the llama.cpp source node-llama-cpp ships), for the
 * paths a real llama-server cannot be made to take on demand: GET /v1/models with `owned_by: "llamacpp"` and
 * `meta.n_ctx`; POST /tokenize and /apply-template; chat completions that refuse a prompt of n_ctx tokens or
 * more with llama.cpp's exact body (`exceed_context_size_error`, `n_prompt_tokens`, `n_ctx`), and stop a reply
 * at the window with finish_reason "length". Its tokenizer counts one token per `charsPerToken` characters.
 */
import type { ServerResponse } from 'node:http';
import { openSse, sendJson, startLoopback, type RecordedRequest } from './openai-server.js';

export interface FakeLlamaCppOptions {
  nCtx: number;
  charsPerToken?: number;
  /** Tokens the completion route counts beyond what /tokenize says (a template the count missed). */
  hiddenTokens?: number;
  /** Answer /tokenize and /apply-template with 404, as a server built without them would. */
  noTokenizer?: boolean;
  /** The reply's content for JSON requests (json_schema / response_format) and for prose. */
  json?: unknown;
  prose?: string;
}

export interface FakeLlamaCpp {
  baseUrl: string;
  requests: RecordedRequest[];
  /** Prompt sizes of the completions it accepted, and how many it refused for size. */
  accepted: number[];
  refused: number;
  close(): Promise<void>;
}

export async function startFakeLlamaCpp(opts: FakeLlamaCppOptions): Promise<FakeLlamaCpp> {
  const cpt = opts.charsPerToken ?? 2;
  const count = (text: string, special: boolean) => Math.ceil(text.length / cpt) + (special ? 1 : 0);
  const template = (messages: { role: string; content: string }[]) =>
    `${messages.map((m) => `<|im_start|>${m.role}\n${m.content}<|im_end|>\n`).join('')}<|im_start|>assistant\n`;
  const state = { accepted: [] as number[], refused: 0 };
  const core = await startLoopback(() => 'chat', (req, res) => {
    if (req.method === 'GET' && req.path === '/v1/models') {
      return sendJson(res, 200, { object: 'list', data: [{ id: 'tiny.gguf', object: 'model', created: 0, owned_by: 'llamacpp', meta: { vocab_type: 1, n_vocab: 512, n_ctx: opts.nCtx, n_ctx_train: opts.nCtx } }] });
    }
    if (req.path === '/tokenize' || req.path === '/apply-template') {
      if (opts.noTokenizer) return sendJson(res, 404, { error: { code: 404, message: 'File Not Found', type: 'not_found_error' } });
      if (req.path === '/tokenize') return sendJson(res, 200, { tokens: Array.from({ length: count(String(req.body.content), req.body.add_special === true) }, (_, i) => i % 500) });
      return sendJson(res, 200, { prompt: template(req.body.messages) });
    }
    if (req.path !== '/v1/chat/completions') return sendJson(res, 404, { error: { code: 404, message: 'File Not Found', type: 'not_found_error' } });
    const prompt = count(template(req.body.messages), true) + (opts.hiddenTokens ?? 0);
    if (prompt >= opts.nCtx) {
      state.refused++;
      return sendJson(res, 400, { error: { code: 400, message: `request (${prompt} tokens) exceeds the available context size (${opts.nCtx} tokens), try increasing it`, type: 'exceed_context_size_error', n_prompt_tokens: prompt, n_ctx: opts.nCtx } });
    }
    state.accepted.push(prompt);
    const wantsJson = Boolean(req.body.json_schema || req.body.response_format);
    const full = wantsJson ? JSON.stringify(opts.json ?? {}) : opts.prose ?? 'The fox ran home.';
    // Generation stops where the window is full, as llama-server's does without context shift.
    const room = Math.min(req.body.max_tokens ?? Infinity, opts.nCtx - prompt) * cpt;
    const text = full.slice(0, room);
    stream(res, text, text.length < full.length ? 'length' : 'stop', prompt, count(text, false));
  });
  return {
    baseUrl: `http://127.0.0.1:${core.port}/v1`,
    requests: core.requests,
    get accepted() { return state.accepted; },
    get refused() { return state.refused; },
    close: core.close,
  };
}

function stream(res: ServerResponse, text: string, finish: string, prompt: number, completion: number): void {
  openSse(res);
  const base = { id: 'chatcmpl-fake', object: 'chat.completion.chunk', created: 0, model: 'tiny.gguf' };
  for (let i = 0; i < text.length; i += 16) res.write(`data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta: { content: text.slice(i, i + 16) }, finish_reason: null }] })}\n\n`);
  res.write(`data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta: {}, finish_reason: finish }] })}\n\n`);
  res.write(`data: ${JSON.stringify({ ...base, choices: [], usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion } })}\n\n`);
  res.write('data: [DONE]\n\n');
  res.end();
}
