import type { Endpoint, EndpointSource } from '../models/endpoints.js';
import type { BurstInstance, Store } from '../store/types.js';

export interface BurstEndpointSourceOptions {
  deployment: string;
  /** Model id the instances serve (burst.model: vLLM's --served-model-name). */
  modelId?: string;
  /** Store reads are cached this long: sources are consulted per request. */
  cacheMs?: number;
}

/**
 * Ready burst instances as extra replicas for the models they serve. Draining, starting and gone
 * instances are never returned, so routing drops an instance the moment it starts to leave.
 */
export class BurstEndpointSource implements EndpointSource {
  private cached: { at: number; list: BurstInstance[] } | null = null;

  constructor(
    private readonly store: Pick<Store, 'listBurstInstances'>,
    private readonly opts: BurstEndpointSourceOptions,
  ) {}

  async endpointsFor(modelName: string): Promise<Endpoint[]> {
    const list = await this.load();
    return list
      .filter((i) => i.state === 'ready' && i.endpoint !== null && i.serves.includes(modelName))
      .map((i) => ({
        id: `burst:${i.name}`,
        source: 'burst' as const,
        baseUrl: i.endpoint as string,
        ...(i.apiKey ? { apiKey: i.apiKey } : {}),
        ...(this.opts.modelId ? { modelId: this.opts.modelId } : {}),
      }));
  }

  /** Forget the cache, e.g. right after this process changed an instance's state. */
  invalidate(): void {
    this.cached = null;
  }

  private async load(): Promise<BurstInstance[]> {
    const ttl = this.opts.cacheMs ?? 1000;
    if (this.cached && Date.now() - this.cached.at < ttl) return this.cached.list;
    const list = await this.store.listBurstInstances({ deployment: this.opts.deployment, activeOnly: true });
    this.cached = { at: Date.now(), list };
    return list;
  }
}
