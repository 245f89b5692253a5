/** Minimal Prometheus text-format reader: enough to pull a few gauges out of vLLM / llama.cpp /metrics. */
export type Samples = Map<string, number>;

/** Sums every series of a metric name (vLLM labels per model; one shard may serve several names). */
export function parsePrometheus(text: string): Samples {
  const out: Samples = new Map();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const v = Number(m[3]);
    if (!Number.isFinite(v)) continue;
    out.set(m[1]!, (out.get(m[1]!) ?? 0) + v);
  }
  return out;
}

export interface EngineLoad {
  running: number | null;
  waiting: number | null;
  /** 0..1 */
  kvCache: number | null;
  tokensPerSec: number | null;
  /** Cumulative generated tokens, for computing a rate where the engine reports only a counter. */
  generatedTotal: number | null;
}

const pick = (s: Samples, ...names: string[]) => {
  for (const n of names) if (s.has(n)) return s.get(n)!;
  return null;
};

export function loadFromMetrics(s: Samples): EngineLoad {
  let kv = pick(s, 'vllm:kv_cache_usage_perc', 'vllm:gpu_cache_usage_perc', 'llamacpp:kv_cache_usage_ratio');
  if (kv !== null && kv > 1) kv = kv / 100;
  return {
    running: pick(s, 'vllm:num_requests_running', 'llamacpp:requests_processing'),
    waiting: pick(s, 'vllm:num_requests_waiting', 'llamacpp:requests_deferred'),
    kvCache: kv,
    tokensPerSec: pick(s, 'llamacpp:predicted_tokens_seconds'),
    generatedTotal: pick(s, 'vllm:generation_tokens_total', 'llamacpp:tokens_predicted_total'),
  };
}

interface Slot {
  is_processing?: boolean;
  n_ctx?: number;
  /** The tokens the slot's cache holds: its last prompt with what it generated. */
  n_prompt_tokens?: number;
}

/**
 * llama.cpp's /slots: busy slots, and KV-cache use as the tokens the slots hold over their combined context
 * (null when the server does not say, never a made-up 0).
 */
export function loadFromSlots(body: unknown): Pick<EngineLoad, 'running' | 'kvCache'> | null {
  if (!Array.isArray(body)) return null;
  const slots = body as Slot[];
  const ctx = slots.reduce((n, x) => n + (typeof x.n_ctx === 'number' ? x.n_ctx : 0), 0);
  const held = slots.reduce((n, x) => n + (typeof x.n_prompt_tokens === 'number' ? x.n_prompt_tokens : 0), 0);
  const known = slots.some((x) => typeof x.n_prompt_tokens === 'number');
  return {
    running: slots.filter((x) => x.is_processing === true).length,
    kvCache: ctx > 0 && known ? Math.min(1, held / ctx) : null,
  };
}
