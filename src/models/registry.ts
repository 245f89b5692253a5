/**
 * Model clients by config name, created on first use (provider modules and their SDKs load lazily). When an
 * EndpointSource reports live endpoints for a model (`luna serve` shards, `luna burst` instances), requests go
 * to them round-robin through an openai-compatible client, skipping one that just failed.
 */
import type { LunaConfig, ModelConfig, OpenAIModelConfig } from '../config/schema.js';
import { ConfigError, ModelError } from '../errors.js';
import type { Endpoint, EndpointSource } from './endpoints.js';
import { loadPriceTable, type PriceTable } from './pricing.js';
import { collect } from './shared.js';
import type { GenerateRequest, ModelClient, PingResult, StreamChunk } from './types.js';

/** How long an endpoint that failed is passed over (unless it is the only one left). */
const FAILED_ENDPOINT_COOLDOWN_MS = 30_000;

export interface ResolvedClient {
  client: ModelClient;
  /** The live endpoint serving this request, or null for the model's own config. */
  endpoint: Endpoint | null;
}

export interface ModelRegistry {
  readonly config: LunaConfig;
  readonly prices: PriceTable;
  /** A client that spreads requests over live endpoints when there are any. Throws ConfigError for unknown names. */
  get(name: string): ModelClient;
  modelConfig(name: string): ModelConfig;
  /** Picks the client for one request (the router uses this so each ledger row knows where it went). */
  resolve(name: string): Promise<ResolvedClient>;
  /** Tells the registry a request to this endpoint failed, so the next pick avoids it for a while. */
  reportFailure(endpoint: Endpoint | null): void;
  close(): Promise<void>;
}

export interface RegistryOptions {
  endpoints?: EndpointSource;
  env?: NodeJS.ProcessEnv;
  /** Pre-built price table (tests, or a long-running process that loaded it once). */
  prices?: PriceTable;
}

export function createModelRegistry(config: LunaConfig, opts: RegistryOptions = {}): ModelRegistry {
  const direct = new Map<string, Promise<ModelClient>>();
  const viaEndpoint = new Map<string, ModelClient>();
  const wrappers = new Map<string, ModelClient>();
  const failedAt = new Map<string, number>();
  const cursor = new Map<string, number>();
  let prices: PriceTable | null = opts.prices ?? null;

  const modelConfig = (name: string): ModelConfig => {
    const m = config.models[name];
    if (!m) {
      throw new ConfigError(`unknown model "${name}"`, { hint: `models in the config: ${Object.keys(config.models).join(', ') || '(none)'}` });
    }
    return m;
  };

  const directClient = (name: string): Promise<ModelClient> => {
    let p = direct.get(name);
    if (!p) {
      p = createDirectClient(name, modelConfig(name), opts.env);
      direct.set(name, p);
      p.catch(() => direct.delete(name));
    }
    return p;
  };

  const endpointClient = async (name: string, ep: Endpoint): Promise<ModelClient> => {
    const key = `${ep.id}|${ep.baseUrl}|${ep.modelId ?? ''}`;
    let c = viaEndpoint.get(key);
    if (!c) {
      const base = modelConfig(name);
      const cfg: OpenAIModelConfig = {
        provider: 'openai-compatible',
        model: ep.modelId ?? name,
        baseUrl: ep.baseUrl,
        apiKeyEnv: 'LUNA_ENDPOINT_KEY',
        jsonSchema: true,
        timeoutMs: base.timeoutMs,
        maxRetries: base.maxRetries,
        ...(base.maxTokens !== undefined ? { maxTokens: base.maxTokens } : {}),
      };
      const { createOpenAICompatibleClient } = await import('./openai-compatible.js');
      c = createOpenAICompatibleClient(name, cfg, { apiKeyOverride: ep.apiKey ?? null });
      viaEndpoint.set(key, c);
    }
    return c;
  };

  const resolve = async (name: string): Promise<ResolvedClient> => {
    modelConfig(name);
    const live = opts.endpoints ? await opts.endpoints.endpointsFor(name).catch(() => [] as Endpoint[]) : [];
    if (live.length === 0) return { client: await directClient(name), endpoint: null };
    const now = Date.now();
    const healthy = live.filter((e) => now - (failedAt.get(e.id) ?? -Infinity) > FAILED_ENDPOINT_COOLDOWN_MS);
    const pool = healthy.length ? healthy : live;
    const i = cursor.get(name) ?? 0;
    cursor.set(name, i + 1);
    const ep = pool[i % pool.length]!;
    return { client: await endpointClient(name, ep), endpoint: ep };
  };

  const reportFailure = (ep: Endpoint | null) => {
    if (ep) failedAt.set(ep.id, Date.now());
  };

  return {
    config,
    get prices() {
      prices ??= loadPriceTable(config);
      return prices;
    },
    modelConfig,
    resolve,
    reportFailure,
    get(name) {
      const m = modelConfig(name);
      let w = wrappers.get(name);
      if (!w) {
        w = routingClient(name, m, resolve, reportFailure, directClient);
        wrappers.set(name, w);
      }
      return w;
    },
    async close() {
      const all = [...(await Promise.all([...direct.values()].map((p) => p.catch(() => null)))), ...viaEndpoint.values()];
      direct.clear();
      viaEndpoint.clear();
      wrappers.clear();
      await Promise.all(all.map((c) => c?.close().catch(() => undefined)));
    },
  };
}

async function createDirectClient(name: string, m: ModelConfig, env?: NodeJS.ProcessEnv): Promise<ModelClient> {
  switch (m.provider) {
    case 'local': {
      const { createLocalClient } = await import('./local.js');
      return createLocalClient(name, m);
    }
    case 'openai-compatible': {
      const { createOpenAICompatibleClient } = await import('./openai-compatible.js');
      return createOpenAICompatibleClient(name, m, { env });
    }
    case 'anthropic': {
      const { createAnthropicClient } = await import('./anthropic.js');
      return createAnthropicClient(name, m, { env });
    }
  }
}

function modelIdOf(m: ModelConfig): string {
  return m.provider === 'local' ? m.path.split(/[\\/]/).pop() ?? m.path : m.model;
}

/** The ModelClient handed to code outside the router: resolves an endpoint per request. */
function routingClient(
  name: string,
  m: ModelConfig,
  resolve: (name: string) => Promise<ResolvedClient>,
  reportFailure: (ep: Endpoint | null) => void,
  directClient: (name: string) => Promise<ModelClient>,
): ModelClient {
  async function* stream(req: GenerateRequest): AsyncIterable<StreamChunk> {
    const { client, endpoint } = await resolve(name);
    try {
      yield* client.stream(req);
    } catch (err) {
      reportFailure(endpoint);
      throw err;
    }
  }
  return {
    name,
    provider: m.provider,
    modelId: modelIdOf(m),
    stream,
    generate: (req) => collect(stream(req)),
    async embed(texts, signal) {
      const { client } = await resolve(name);
      if (!client.embed) throw new ModelError(`model ${name} (${m.provider}) has no embeddings endpoint`, { hint: 'set agents.preprocessor.embeddingModel to a local or openai-compatible model' });
      return client.embed(texts, signal);
    },
    async limits(signal) {
      const { client } = await resolve(name);
      const l = client.limits ? await client.limits(signal) : { contextTokens: null, countPrompt: null, countText: null };
      return { ...l, contextTokens: m.contextTokens ?? l.contextTokens };
    },
    async ping(signal): Promise<PingResult> {
      try {
        return await (await directClient(name)).ping(signal);
      } catch (err) {
        return { ok: false, detail: (err as Error).message, latencyMs: 0 };
      }
    },
    async close() {},
  };
}
