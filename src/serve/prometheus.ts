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

/** llama.cpp's /slots: a list of slots, each with is_processing; used when /metrics is off. */
export function loadFromSlots(body: unknown): Pick<EngineLoad, 'running'> | null {
  if (!Array.isArray(body)) return null;
  return { running: body.filter((x) => (x as { is_processing?: boolean }).is_processing === true).length };
}
