import { execa, type ResultPromise } from 'execa';
import type { ServeConfig, ShardConfig } from '../config/schema.js';
import { redactSecrets } from '../errors.js';
import { engineCommand, servedNames } from './engine-args.js';
import { RotatingLog, shardLogFile } from './logs.js';
import type { ShardPlacement } from './placement.js';
import { allocatePort, isPortFree } from './ports.js';
import { killTree, readProc, treeOf } from './process-tree.js';
import { loadFromMetrics, loadFromSlots, parsePrometheus } from './prometheus.js';
import type { ShardState, ShardStatus } from './state.js';

export type ShardEvent = 'state' | 'restart' | 'metrics';

export interface ShardRunnerOptions {
  serve: ServeConfig;
  logDir: string;
  reservedPorts: Set<number>;
  onEvent: (runner: ShardRunner, event: ShardEvent, detail?: string) => void;
}

type Proc = ResultPromise<{ detached: true; stdin: 'ignore'; buffer: false; reject: false; cleanup: false }>;

async function get(url: string, timeoutMs: number): Promise<{ status: number; body: string } | null> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    return { status: res.status, body: await res.text() };
  } catch {
    return null;
  }
}

/**
 * One engine process and its life: start, readiness, liveness, restart with backoff, stop.
 * Every async step carries the generation it started in; a newer start/stop bumps the generation so
 * late callbacks from a process we already gave up on change nothing.
 */
export class ShardRunner {
  readonly status: ShardStatus;
  readonly log: RotatingLog;
  private proc: Proc | null = null;
  private gen = 0;
  private timer: NodeJS.Timeout | null = null;
  private crashes: number[] = [];
  private failures = 0;
  private startedAt = 0;
  private known = new Map<number, number>();
  private lastTotal: { at: number; total: number } | null = null;

  constructor(readonly cfg: ShardConfig, readonly placement: ShardPlacement, private readonly opts: ShardRunnerOptions) {
    this.log = new RotatingLog(shardLogFile(opts.logDir, cfg.name), opts.serve.logMaxBytes, opts.serve.logKeep);
    this.status = {
      name: cfg.name, engine: cfg.engine, model: cfg.model, serves: cfg.serves, servedNames: servedNames(cfg),
      gpus: placement.gpuIndices, gpuUuids: placement.gpuUuids, port: cfg.port === 'auto' ? null : cfg.port,
      state: 'pending', pid: null, pidStartTime: null, readySince: null, restarts: 0, lastExit: null, lastError: null,
      running: null, waiting: null, kvCache: null, tokensPerSec: null,
    };
  }

  get name(): string {
    return this.cfg.name;
  }

  private setState(state: ShardState, detail?: string): void {
    if (this.status.state === state && !detail) return;
    this.status.state = state;
    if (state !== 'ready' && state !== 'unhealthy') this.status.readySince = null;
    this.opts.onEvent(this, 'state', detail);
  }

  private schedule(gen: number, ms: number, fn: () => void | Promise<void>): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      if (gen === this.gen) void fn();
    }, ms);
  }

  private url(p: string): string {
    return `http://127.0.0.1:${this.status.port}${p}`;
  }

  async start(): Promise<void> {
    const gen = ++this.gen;
    const serve = this.opts.serve;
    let port: number;
    if (this.cfg.port === 'auto') {
      if (this.status.port !== null) this.opts.reservedPorts.delete(this.status.port);
      port = await allocatePort(this.opts.reservedPorts);
    } else {
      port = this.cfg.port;
      if (!(await isPortFree(port))) return this.crash(gen, `port ${port} is already in use`);
    }
    if (gen !== this.gen) return;
    this.status.port = port;
    const cmd = engineCommand(this.cfg, this.placement, port, serve);
    this.log.line(`starting: ${redactSecrets([cmd.file, ...cmd.args].join(' '))}`);
    const proc = execa(cmd.file, cmd.args, {
      detached: true, // own process group, so stop can signal the engine and every worker it forks at once
      env: cmd.env,
      stdin: 'ignore',
      buffer: false,
      reject: false,
      cleanup: false,
    });
    this.proc = proc;
    this.known = new Map();
    this.failures = 0;
    this.startedAt = Date.now();
    this.lastTotal = null;
    proc.stdout?.on('data', (d: Buffer) => this.log.write(d));
    proc.stderr?.on('data', (d: Buffer) => this.log.write(d));
    void proc.then((r) => this.onExit(gen, r.exitCode, r.signal, r.code === 'ENOENT' ? `${cmd.file}: not found` : r.failed && r.exitCode === undefined && !r.signal ? r.shortMessage : undefined));
    this.status.pid = proc.pid ?? null;
    this.status.pidStartTime = proc.pid ? readProc(proc.pid)?.startTime ?? null : null;
    this.status.lastError = null;
    this.setState('starting', `pid ${proc.pid ?? '?'} port ${port}`);
    this.schedule(gen, this.readyPollMs(), () => this.pollReady(gen));
  }

  private readyPollMs(): number {
    return Math.min(500, this.opts.serve.healthIntervalMs);
  }

  private async onExit(gen: number, code: number | undefined, signal: string | undefined, spawnError: string | undefined): Promise<void> {
    if (gen !== this.gen) return;
    const how = spawnError ?? (signal ? `killed by ${signal}` : `exited with code ${code}`);
    this.status.lastExit = how;
    this.log.line(`engine ${how}`);
    const pid = this.status.pid;
    this.status.pid = null;
    // vLLM's EngineCore / TP workers can outlive the API process and keep GPU memory: sweep them first.
    if (pid) await killTree(pid, 0, this.known);
    this.crash(gen, how);
  }

  private crash(gen: number, reason: string): void {
    if (gen !== this.gen) return;
    const next = ++this.gen;
    const now = Date.now();
    const serve = this.opts.serve;
    this.crashes = this.crashes.filter((t) => now - t < serve.restartWindowMs);
    this.crashes.push(now);
    this.status.lastError = reason;
    this.status.running = this.status.waiting = this.status.kvCache = this.status.tokensPerSec = null;
    if (this.crashes.length > serve.maxRestarts) {
      this.log.line(`giving up after ${this.crashes.length} crashes in ${Math.round(serve.restartWindowMs / 1000)}s: ${reason}`);
      this.setState('failed', reason);
      return;
    }
    const delay = Math.min(serve.restartBackoffMaxMs, serve.restartBackoffMs * 2 ** (this.crashes.length - 1));
    this.log.line(`restarting in ${delay}ms (${reason})`);
    this.setState('backoff', `${reason}; restart in ${delay}ms`);
    this.schedule(next, delay, async () => {
      this.status.restarts++;
      this.opts.onEvent(this, 'restart', reason);
      await this.start();
    });
  }

  private async pollReady(gen: number): Promise<void> {
    const serve = this.opts.serve;
    const r = await get(this.url('/health'), serve.healthTimeoutMs);
    if (gen !== this.gen) return;
    if (r?.status === 200) {
      this.status.readySince = new Date().toISOString();
      this.log.line(`ready after ${Date.now() - this.startedAt}ms`);
      this.setState('ready');
      void this.scrape(gen);
      this.schedule(gen, serve.healthIntervalMs, () => this.healthTick(gen));
      return;
    }
    if (Date.now() - this.startedAt > serve.readyTimeoutMs) {
      await this.killHung(gen, `not ready after ${serve.readyTimeoutMs}ms`);
      return;
    }
    this.schedule(gen, this.readyPollMs(), () => this.pollReady(gen));
  }

  private async healthTick(gen: number): Promise<void> {
    const serve = this.opts.serve;
    if (this.status.pid) for (const e of treeOf(this.status.pid)) this.known.set(e.pid, e.startTime);
    const [r] = await Promise.all([get(this.url('/health'), serve.healthTimeoutMs), this.scrape(gen)]);
    if (gen !== this.gen) return;
    if (r?.status === 200) {
      this.failures = 0;
      if (this.status.state === 'unhealthy') {
        this.status.readySince = new Date().toISOString();
        this.setState('ready', 'health recovered');
      }
    } else {
      this.failures++;
      this.log.line(`health check failed (${r ? `HTTP ${r.status}` : 'no answer'}), ${this.failures}/${serve.unhealthyAfter}`);
      if (this.failures >= serve.unhealthyAfter) {
        await this.killHung(gen, `stopped answering health checks (${this.failures} failed)`);
        return;
      }
      this.setState('unhealthy', `${this.failures} failed health checks`);
    }
    this.schedule(gen, serve.healthIntervalMs, () => this.healthTick(gen));
  }

  private async killHung(gen: number, reason: string): Promise<void> {
    if (gen !== this.gen) return;
    const pid = this.status.pid;
    const mine = ++this.gen; // the exit this kill causes is expected: onExit of the old generation ignores it
    this.log.line(`killing engine: ${reason}`);
    if (pid) await killTree(pid, this.opts.serve.stopGraceMs, this.known);
    if (mine !== this.gen) return;
    this.status.pid = null;
    this.status.lastExit = `killed: ${reason}`;
    this.crash(mine, reason);
  }

  private async scrape(gen: number): Promise<void> {
    const serve = this.opts.serve;
    const m = await get(this.url('/metrics'), serve.healthTimeoutMs);
    if (gen !== this.gen) return;
    this.status.kvCache = null;
    if (m?.status === 200) {
      const load = loadFromMetrics(parsePrometheus(m.body));
      this.status.running = load.running;
      this.status.waiting = load.waiting;
      this.status.kvCache = load.kvCache;
      let tps = load.tokensPerSec;
      if (tps === null && load.generatedTotal !== null) {
        const now = Date.now();
        if (this.lastTotal && now > this.lastTotal.at) tps = Math.max(0, ((load.generatedTotal - this.lastTotal.total) * 1000) / (now - this.lastTotal.at));
        this.lastTotal = { at: now, total: load.generatedTotal };
      }
      this.status.tokensPerSec = tps;
    }
    // Current llama.cpp exports no KV-cache gauge (kv_cache_usage_ratio is gone); its /slots says what each slot holds.
    if (this.cfg.engine === 'llamacpp' && this.status.kvCache === null) {
      const s = await get(this.url('/slots'), serve.healthTimeoutMs);
      if (gen !== this.gen) return;
      let body: unknown = null;
      try {
        body = s?.status === 200 ? JSON.parse(s.body) : null;
      } catch {
        body = null;
      }
      const load = loadFromSlots(body);
      if (load) {
        if (m?.status !== 200) this.status.running = load.running;
        this.status.kvCache = load.kvCache;
      }
    }
    this.opts.onEvent(this, 'metrics');
  }

  /** Stops the engine and keeps it stopped (no restart) until start() or restart(). */
  async stop(): Promise<void> {
    ++this.gen;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const pid = this.status.pid;
    if (pid) {
      this.setState('stopping');
      this.log.line('stopping');
      const killed = await killTree(pid, this.opts.serve.stopGraceMs, this.known);
      if (killed.length) this.log.line(`SIGKILL needed for ${killed.length} process(es): ${killed.join(', ')}`);
      await this.proc?.catch(() => undefined);
    }
    this.status.pid = null;
    this.status.running = this.status.waiting = this.status.kvCache = this.status.tokensPerSec = null;
    this.setState('stopped');
  }

  /** Manual restart: forgets past crashes (the operator decided), counts as a restart. */
  async restart(): Promise<void> {
    await this.stop();
    this.crashes = [];
    this.status.restarts++;
    this.opts.onEvent(this, 'restart', 'requested');
    await this.start();
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.log.close();
  }
}
