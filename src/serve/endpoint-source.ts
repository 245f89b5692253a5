import type { Endpoint, EndpointSource } from '../models/endpoints.js';
import { daemonAlive, readState, servePaths, type ServeState } from './state.js';

export interface ServeEndpointSourceOptions {
  /** How long a read of the state file is reused; the registry asks per request. */
  cacheMs?: number;
  /** Skip shards with at least this many queued requests while a less loaded one serves the model. 0 = off. */
  degradeQueueDepth?: number;
}

/**
 * Healthy `luna serve` shards as endpoints of the model names they serve. Reads the supervisor's state
 * file (cached ~1 s) and ignores it when the supervisor that wrote it is gone.
 */
export function createServeEndpointSource(home: string, opts: ServeEndpointSourceOptions = {}): EndpointSource {
  const paths = servePaths(home);
  const cacheMs = opts.cacheMs ?? 1000;
  let cached: { at: number; state: ServeState | null } | null = null;
  const current = (): ServeState | null => {
    const now = Date.now();
    if (cached && now - cached.at < cacheMs) return cached.state;
    let state = readState(paths);
    if (state && (state.daemon.status !== 'running' || !daemonAlive(state))) state = null;
    cached = { at: now, state };
    return state;
  };
  return {
    async endpointsFor(modelName) {
      const state = current();
      if (!state) return [];
      const ready = state.shards.filter((s) => s.state === 'ready' && s.port !== null && s.serves.includes(modelName));
      const depth = opts.degradeQueueDepth ?? 0;
      let chosen = ready;
      if (depth > 0) {
        const light = ready.filter((s) => (s.waiting ?? 0) < depth);
        if (light.length) chosen = light;
      }
      // least-queued first, so a registry that takes the head spreads load sensibly
      chosen = [...chosen].sort((a, b) => (a.waiting ?? 0) + (a.running ?? 0) - ((b.waiting ?? 0) + (b.running ?? 0)));
      return chosen.map((s): Endpoint => ({
        id: `serve:${s.name}`,
        source: 'serve',
        baseUrl: `http://127.0.0.1:${s.port}/v1`,
        modelId: s.servedNames.includes(modelName) ? modelName : s.servedNames[0] ?? modelName,
      }));
    },
  };
}
