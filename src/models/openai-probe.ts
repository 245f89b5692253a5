/**
 * What an OpenAI-compatible endpoint is and can do, asked once per client: which server it is (llama.cpp and
 * vLLM expose more than the OpenAI API), the model's context window, and a tokenizer where the server has one.
 * Every probe is best-effort: a server that answers none of it is treated as plain OpenAI.
 */
import type { GenerateRequest, ModelLimits } from './types.js';

export type ServerKind = 'llamacpp' | 'vllm' | 'openai';

export interface EndpointInfo {
  kind: ServerKind;
  contextTokens: number | null;
}

interface ModelEntry {
  id?: string;
  owned_by?: string;
  max_model_len?: number;
  context_length?: number;
  meta?: { n_ctx?: number; n_ctx_train?: number };
}

/** The server root: llama.cpp and vLLM serve /tokenize beside /v1, not under it. */
export function serverRoot(baseUrl: string): string {
  return baseUrl.replace(/\/+$/, '').replace(/\/v1$/, '');
}

export async function probeEndpoint(baseUrl: string, model: string, headers: Record<string, string>, signal?: AbortSignal): Promise<EndpointInfo> {
  const body = await getJson(`${baseUrl.replace(/\/+$/, '')}/models`, headers, signal);
  const list = (body as { data?: ModelEntry[] } | null)?.data;
  const entries = Array.isArray(list) ? list : [];
  const entry = entries.find((m) => m.id === model || m.id?.endsWith(`/${model}`) || model.endsWith(`/${m.id ?? '\0'}`)) ?? (entries.length === 1 ? entries[0] : undefined);
  const kind: ServerKind = entries.some((m) => m.owned_by === 'llamacpp') ? 'llamacpp' : entries.some((m) => m.owned_by === 'vllm') ? 'vllm' : 'openai';
  const n = entry?.meta?.n_ctx ?? entry?.max_model_len ?? entry?.context_length ?? null;
  return { kind, contextTokens: typeof n === 'number' && n > 0 ? n : null };
}

/** Token counters backed by the server's own tokenizer (llama.cpp, vLLM); none for other servers. */
export function serverCounters(info: EndpointInfo, baseUrl: string, model: string, headers: Record<string, string>): Pick<ModelLimits, 'countPrompt' | 'countText'> {
  const root = serverRoot(baseUrl);
  const messages = (req: GenerateRequest) => [...(req.system ? [{ role: 'system', content: req.system }] : []), ...req.messages];
  if (info.kind === 'llamacpp') {
    const tokenize = async (content: string, addSpecial: boolean, signal?: AbortSignal): Promise<number> => {
      const r = (await postJson(`${root}/tokenize`, { content, add_special: addSpecial }, headers, signal)) as { tokens?: unknown[] };
      if (!Array.isArray(r?.tokens)) throw new Error('no tokens in /tokenize reply');
      return r.tokens.length;
    };
    return {
      countText: (text, signal) => tokenize(text, false, signal),
      async countPrompt(req, signal) {
        // The server renders the chat template itself; /apply-template shows exactly what it will tokenize.
        const t = (await postJson(`${root}/apply-template`, { messages: messages(req) }, headers, signal)) as { prompt?: unknown };
        if (typeof t?.prompt !== 'string') throw new Error('no prompt in /apply-template reply');
        return tokenize(t.prompt, true, signal);
      },
    };
  }
  if (info.kind === 'vllm') {
    const count = async (body: object, signal?: AbortSignal): Promise<number> => {
      const r = (await postJson(`${root}/tokenize`, { model, ...body }, headers, signal)) as { count?: unknown };
      if (typeof r?.count !== 'number') throw new Error('no count in /tokenize reply');
      return r.count;
    };
    return {
      countText: (text, signal) => count({ prompt: text, add_special_tokens: false }, signal),
      countPrompt: (req, signal) => count({ messages: messages(req), add_generation_prompt: true }, signal),
    };
  }
  return { countPrompt: null, countText: null };
}

const PROBE_TIMEOUT_MS = 5000;

async function getJson(url: string, headers: Record<string, string>, signal?: AbortSignal): Promise<unknown> {
  const res = await fetch(url, { headers, signal: withTimeout(signal) }).catch(() => null);
  if (!res?.ok) return null;
  return res.json().catch(() => null);
}

async function postJson(url: string, body: object, headers: Record<string, string>, signal?: AbortSignal): Promise<unknown> {
  const res = await fetch(url, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body), signal: withTimeout(signal) });
  if (!res.ok) throw new Error(`HTTP ${res.status} from ${new URL(url).pathname}`);
  return res.json();
}

function withTimeout(signal?: AbortSignal): AbortSignal {
  const t = AbortSignal.timeout(PROBE_TIMEOUT_MS);
  return signal ? AbortSignal.any([signal, t]) : t;
}
