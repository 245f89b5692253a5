import http from 'node:http';
import { Counter, Gauge, Registry } from 'prom-client';
import type { GpuInfo } from './gpu.js';
import type { ServeState, ShardStatus } from './state.js';

/**
 * LUNA's own Prometheus metrics. The names are a contract with the burst autoscaler (`luna burst`):
 * do not rename them.
 */
export class ServeMetrics {
  readonly registry = new Registry();
  private readonly up = new Gauge({ name: 'luna_shard_up', help: '1 when the shard passes health checks', labelNames: ['shard'], registers: [this.registry] });
  private readonly running = new Gauge({ name: 'luna_shard_requests_running', help: 'Requests the engine is processing', labelNames: ['shard'], registers: [this.registry] });
  private readonly waiting = new Gauge({ name: 'luna_shard_requests_waiting', help: 'Requests queued in the engine', labelNames: ['shard'], registers: [this.registry] });
  private readonly kv = new Gauge({ name: 'luna_shard_kv_cache_usage', help: 'KV-cache use, 0..1', labelNames: ['shard'], registers: [this.registry] });
  private readonly restarts = new Counter({ name: 'luna_shard_restarts_total', help: 'Engine restarts (crash, hang or requested)', labelNames: ['shard'], registers: [this.registry] });
  private readonly gpuMem = new Gauge({ name: 'luna_gpu_memory_used_mib', help: 'GPU memory used (MiB)', labelNames: ['gpu'], registers: [this.registry] });
  private readonly gpuUtil = new Gauge({ name: 'luna_gpu_utilization', help: 'GPU utilisation (percent)', labelNames: ['gpu'], registers: [this.registry] });
  // For dashboards and `luna top` alerts (GPU over temperature, VRAM headroom, throughput per shard).
  private readonly gpuMemTotal = new Gauge({ name: 'luna_gpu_memory_total_mib', help: 'GPU memory total (MiB)', labelNames: ['gpu'], registers: [this.registry] });
  private readonly gpuTemp = new Gauge({ name: 'luna_gpu_temperature_celsius', help: 'GPU temperature (°C)', labelNames: ['gpu'], registers: [this.registry] });
  private readonly tokensPerSec = new Gauge({ name: 'luna_shard_tokens_per_second', help: 'Tokens the engine generates per second', labelNames: ['shard'], registers: [this.registry] });

  initShard(name: string): void {
    this.restarts.inc({ shard: name }, 0);
    this.up.set({ shard: name }, 0);
  }

  updateShard(s: ShardStatus): void {
    const shard = s.name;
    this.up.set({ shard }, s.state === 'ready' ? 1 : 0);
    this.running.set({ shard }, s.running ?? 0);
    this.waiting.set({ shard }, s.waiting ?? 0);
    // An engine that reports no KV-cache figure has no series, rather than a 0 that reads as "empty".
    if (s.kvCache === null) this.kv.remove({ shard });
    else this.kv.set({ shard }, s.kvCache);
    if (s.tokensPerSec === null) this.tokensPerSec.remove({ shard });
    else this.tokensPerSec.set({ shard }, s.tokensPerSec);
  }

  countRestart(name: string): void {
    this.restarts.inc({ shard: name });
  }

  updateGpus(gpus: GpuInfo[]): void {
    for (const g of gpus) {
      const gpu = String(g.index);
      if (g.memoryUsedMiB !== null) this.gpuMem.set({ gpu }, g.memoryUsedMiB);
      if (g.utilizationPct !== null) this.gpuUtil.set({ gpu }, g.utilizationPct);
      if (g.memoryTotalMiB !== null) this.gpuMemTotal.set({ gpu }, g.memoryTotalMiB);
      if (g.temperatureC !== null) this.gpuTemp.set({ gpu }, g.temperatureC);
    }
  }
}

export interface ControlHandlers {
  state(): ServeState;
  stopShard(name: string): Promise<void>;
  restartShard(name: string): Promise<void>;
  startShard(name: string): Promise<void>;
  shutdown(): void;
}

function send(res: http.ServerResponse, status: number, body: unknown, type = 'application/json'): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/**
 * One loopback HTTP server for both /metrics and the CLI's control calls. Mutating calls need the token
 * from `<home>/serve/control.token` (mode 0600), so other local users can scrape but not stop shards.
 */
export function createControlServer(metrics: ServeMetrics, handlers: ControlHandlers, token: string): http.Server {
  return http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const route = `${req.method} ${url.pathname}`;
    void (async () => {
      if (route === 'GET /metrics') return send(res, 200, await metrics.registry.metrics(), metrics.registry.contentType);
      if (route === 'GET /state') return send(res, 200, handlers.state());
      if (route === 'GET /health') return send(res, 200, { status: 'ok' });
      if (req.method !== 'POST') return send(res, 404, { error: 'not found' });
      if (req.headers['x-luna-token'] !== token) return send(res, 403, { error: 'bad or missing control token' });
      if (url.pathname === '/shutdown') {
        send(res, 202, { ok: true });
        handlers.shutdown();
        return;
      }
      const m = /^\/shards\/([a-z0-9-]+)\/(stop|restart|start)$/.exec(url.pathname);
      if (!m) return send(res, 404, { error: 'not found' });
      const name = m[1]!;
      if (!handlers.state().shards.some((s) => s.name === name)) return send(res, 404, { error: `no shard named ${name}` });
      if (m[2] === 'stop') await handlers.stopShard(name);
      else if (m[2] === 'start') await handlers.startShard(name);
      else await handlers.restartShard(name);
      return send(res, 200, { ok: true, shard: handlers.state().shards.find((s) => s.name === name) });
    })().catch((err: unknown) => send(res, 500, { error: err instanceof Error ? err.message : String(err) }));
  });
}
