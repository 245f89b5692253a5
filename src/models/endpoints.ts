/**
 * Live endpoints for a configured model name. `luna serve` (healthy shards) and `luna burst` (ready rented
 * instances) feed these; the model registry spreads requests over them and falls back to the model's own
 * config when none is live. Sources must be cheap to call: they are consulted per request.
 */
export interface Endpoint {
  /** Stable id for load-spreading and health bookkeeping, e.g. `serve:writer-a` or `burst:luna-prod-abc123`. */
  id: string;
  source: 'serve' | 'burst';
  /** OpenAI-compatible base URL, ending in /v1. */
  baseUrl: string;
  /** Per-instance key (burst instances run vLLM with --api-key). Never logged. */
  apiKey?: string;
  /** Model id to send in requests (the engine's --served-model-name); defaults to the config model name. */
  modelId?: string;
}

export interface EndpointSource {
  endpointsFor(modelName: string): Promise<Endpoint[]>;
}

/** Merges several sources; a failing source contributes nothing rather than breaking a turn. */
export function combineEndpointSources(sources: EndpointSource[]): EndpointSource {
  return {
    async endpointsFor(modelName) {
      const lists = await Promise.all(sources.map((s) => s.endpointsFor(modelName).catch(() => [] as Endpoint[])));
      return lists.flat();
    },
  };
}
