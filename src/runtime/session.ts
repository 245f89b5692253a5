import type { LoadedConfig } from '../config/load.js';
import type { AgentName } from '../config/schema.js';
import { combineEndpointSources, type EndpointSource } from '../models/endpoints.js';
import type { EndpointStatus } from '../models/health.js';
import type { CallAgent, PipelineDeps } from '../pipeline/deps.js';
import type { Store } from '../store/types.js';
import type { Telemetry } from '../telemetry/noop.js';

/**
 * Wires the pipeline's injected dependencies for a front end (CLI, TUI): the model registry with live
 * endpoints from `luna serve` and `luna burst`, retries/fallbacks, embeddings and the budget guard.
 */
export interface Session {
  deps: PipelineDeps;
  /**
   * The same deps with some agents on other models (graceful degradation under load): the agent keeps its
   * settings but runs on the named model alone, without its fallbacks.
   */
  withModels(models: Partial<Record<AgentName, string>>): PipelineDeps;
  /** Health of each agent's model through the registry turns use (serve and burst endpoints included). */
  ping(signal: AbortSignal): Promise<Record<string, EndpointStatus>>;
  /** OpenTelemetry tracing (a pass-through when no endpoint is configured); front ends wrap turns with it. */
  telemetry: Telemetry;
  /** Closes the models and sends the spans still buffered (waiting at most the export timeout). */
  close(): Promise<void>;
}

export interface SessionOptions {
  signal?: AbortSignal;
  endpoints?: EndpointSource;
  /** Where tracing's export trouble is told (`--debug`); default: nowhere. */
  debug?: (message: string) => void;
  /** For the OTEL_* variables; default process.env. */
  env?: Record<string, string | undefined>;
}

export async function createSession(store: Store, loaded: LoadedConfig, opts: SessionOptions = {}): Promise<Session> {
  const { config } = loaded;
  const telemetry = await (await import('../telemetry/open.js')).openTelemetry(config, { env: opts.env, debug: opts.debug });
  const [{ createModelRegistry }, { callModel }] = await Promise.all([import('../models/registry.js'), import('../models/router.js')]);
  const endpoints = opts.endpoints ?? (await defaultEndpoints(loaded, store));
  const registry = createModelRegistry(config, { endpoints });
  const { allMissingModelFiles } = await import('../config/model-files.js');
  const modelOf = (agent: AgentName, models: Partial<Record<AgentName, string>>) => models[agent] ?? config.agents[agent].model;
  const makeCallAgent = (models: Partial<Record<AgentName, string>>): CallAgent => telemetry.wrapCallAgent(async (agent: AgentName, req, o = {}) => {
    const a = models[agent] ? { ...config.agents[agent], model: models[agent], fallbacks: [] } : config.agents[agent];
    const out = await callModel(registry, a, agent, req, { onText: o.onText, onRestart: o.onRestart ? (info) => o.onRestart?.(`${info.model}: ${info.reason}`) : undefined, signal: o.signal ?? req.signal }).catch((err: unknown) => {
      throw allMissingModelFiles(err, config);
    });
    return { text: out.result.text, usage: out.result.usage, modelName: out.modelName, ttftMs: out.result.ttftMs, latencyMs: out.result.latencyMs, calls: out.calls };
  });
  const callAgent = makeCallAgent({});
  // One per model for the session: tokenizer counts and the learned estimate ratio carry over between turns.
  const { createFitLimits } = await import('../models/limits.js');
  const fitLimits = new Map<string, ReturnType<typeof createFitLimits>>();
  const makeLimits = (models: Partial<Record<AgentName, string>>): PipelineDeps['limits'] => (agent) => {
    const name = modelOf(agent, models);
    let l = fitLimits.get(name);
    if (!l) fitLimits.set(name, (l = createFitLimits(registry.get(name))));
    return l();
  };
  const limits = makeLimits({});
  const embeddingModel = config.agents.preprocessor.embeddingModel;
  const embed = embeddingModel
    ? async (text: string, signal?: AbortSignal) => {
        const client = registry.get(embeddingModel);
        if (!client.embed) return null;
        const [v] = await client.embed([text], signal);
        return v ?? null;
      }
    : undefined;
  const guard = await loadGuard(store, loaded);
  const comfy = config.agents.dreamer.comfyui;
  const renderImages = comfy ? (await import('../images/render.js')).createImageRenderer(comfy, config, loaded.home) : undefined;
  const deps: PipelineDeps = { store, config, callAgent, limits, embed, signal: opts.signal, guard, renderImages, traceJob: telemetry.traceJob };
  return {
    deps,
    withModels: (models) => ({ ...deps, callAgent: makeCallAgent(models), limits: makeLimits(models) }),
    ping: async (signal) => (await import('../models/health.js')).pingModels(config, registry, signal),
    telemetry,
    close: async () => {
      await Promise.all([registry.close(), telemetry.shutdown()]);
    },
  };
}

/** Healthy `luna serve` shards and ready `luna burst` instances become extra replicas of the models they serve. */
async function defaultEndpoints(loaded: LoadedConfig, store: Store): Promise<EndpointSource> {
  const [{ createServeEndpointSource }, { BurstEndpointSource }] = await Promise.all([
    import('../serve/endpoint-source.js'),
    import('../burst/endpoint-source.js'),
  ]);
  const { burst, serve } = loaded.config;
  return combineEndpointSources([
    createServeEndpointSource(loaded.home, { degradeQueueDepth: serve.degradeQueueDepth }),
    new BurstEndpointSource(store, { deployment: burst.deployment, modelId: burst.model }),
  ]);
}

/** Tier quotas and hard budgets (src/cost/guard.ts); nothing to check when none are configured. */
async function loadGuard(store: Store, loaded: LoadedConfig): Promise<PipelineDeps['guard']> {
  const { budgetsConfigured, createBudgetGuard } = await import('../cost/guard.js');
  return budgetsConfigured(loaded.config) ? createBudgetGuard(store, loaded.config) : undefined;
}
