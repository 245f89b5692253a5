import type { LoadedConfig } from '../config/load.js';
import type { AgentName } from '../config/schema.js';
import { combineEndpointSources, type EndpointSource } from '../models/endpoints.js';
import type { CallAgent, PipelineDeps } from '../pipeline/deps.js';
import type { Store } from '../store/types.js';

/**
 * Wires the pipeline's injected dependencies for a front end (CLI, TUI): the model registry with live
 * endpoints from `luna serve` and `luna burst`, retries/fallbacks, embeddings and the budget guard.
 */
export interface Session {
  deps: PipelineDeps;
  close(): Promise<void>;
}

export async function createSession(store: Store, loaded: LoadedConfig, opts: { signal?: AbortSignal; endpoints?: EndpointSource } = {}): Promise<Session> {
  const { config } = loaded;
  const [{ createModelRegistry }, { callModel }] = await Promise.all([import('../models/registry.js'), import('../models/router.js')]);
  const endpoints = opts.endpoints ?? (await defaultEndpoints(loaded, store));
  const registry = createModelRegistry(config, { endpoints });
  const callAgent: CallAgent = async (agent: AgentName, req, o = {}) => {
    const a = config.agents[agent];
    const out = await callModel(registry, a, agent, req, { onText: o.onText, onRestart: o.onRestart ? (info) => o.onRestart?.(`${info.model}: ${info.reason}`) : undefined, signal: o.signal ?? req.signal });
    return { text: out.result.text, usage: out.result.usage, modelName: out.modelName, ttftMs: out.result.ttftMs, latencyMs: out.result.latencyMs, calls: out.calls };
  };
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
  const submitImage = comfy ? (await import('../images/comfyui.js')).createComfyUiSubmitter(comfy) : undefined;
  return {
    deps: { store, config, callAgent, embed, signal: opts.signal, guard, submitImage },
    close: () => registry.close(),
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
