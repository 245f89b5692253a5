import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import type { ServeConfig } from '../config/schema.js';
import { createControlServer, ServeMetrics } from './control-server.js';
import { ServeError } from './errors.js';
import { discoverGpus, hostInfo, type GpuInfo, type HostInfo } from './gpu.js';
import { assertPlanFits, planPlacement, type PlacementPlan } from './placement.js';
import { findLeftovers, stopLeftovers } from './leftovers.js';
import { assertUniqueShardNames, binaryProblems, modelFileProblems, portProblems } from './preflight.js';
import { readProc } from './process-tree.js';
import { ShardRunner, type ShardEvent } from './shard.js';
import { acquirePidFile, removePidFile, servePaths, writeJsonAtomic, type ServePaths, type ServeState } from './state.js';

export interface SupervisorOptions {
  serve: ServeConfig;
  home: string;
  detached: boolean;
  /** Called on every shard state change and restart (the foreground view and the daemon log use it). */
  onEvent?: (shard: string, event: ShardEvent, detail: string | undefined, sup: Supervisor) => void;
  /** Supervisor-level messages (e.g. leftovers swept at start). */
  onNotice?: (text: string) => void;
}

export async function planFromConfig(serve: ServeConfig): Promise<{ plan: PlacementPlan; gpus: GpuInfo[]; gpuProblem: string | null }> {
  assertUniqueShardNames(serve.shards);
  const { gpus, problem } = await discoverGpus(serve.binaries.nvidiaSmi);
  return { plan: planPlacement(serve.shards, gpus), gpus, gpuProblem: problem };
}

export class Supervisor {
  readonly paths: ServePaths;
  readonly metrics = new ServeMetrics();
  readonly runners: ShardRunner[] = [];
  private server: http.Server | null = null;
  private controlPort = 0;
  private gpus: GpuInfo[] = [];
  private gpuProblem: string | null = null;
  private host: HostInfo | null = null;
  private timer: NodeJS.Timeout | null = null;
  private status: ServeState['daemon']['status'] = 'running';
  private readonly startedAt = new Date().toISOString();
  private readonly pidStartTime = readProc(process.pid)?.startTime ?? null;
  private writeQueued = false;
  private stopping: Promise<void> | null = null;
  private readonly done: Promise<void>;
  private resolveDone!: () => void;

  constructor(private readonly opts: SupervisorOptions) {
    this.paths = servePaths(opts.home);
    this.done = new Promise((r) => { this.resolveDone = r; });
  }

  /** Resolves once the supervisor has stopped (shutdown call, signal, or stop()). */
  wait(): Promise<void> {
    return this.done;
  }

  get port(): number {
    return this.controlPort;
  }

  async start(): Promise<void> {
    const serve = this.opts.serve;
    if (serve.shards.length === 0) throw new ServeError('no shards configured', { hint: 'add shards under serve.shards in luna.yaml (see docs/serve.md)' });
    const { plan, gpus, gpuProblem } = await planFromConfig(serve);
    assertPlanFits(plan);
    const [missing] = binaryProblems(serve);
    if (missing) throw new ServeError(missing.text, { hint: missing.hint });
    // the engine says so in its log and the shard ends up failed; the daemon log says it up front
    for (const p of modelFileProblems(serve)) this.opts.onNotice?.(`warning: ${p.text}`);
    const holder = acquirePidFile(this.paths);
    if (holder !== null) throw new ServeError(`luna serve is already running (pid ${holder})`, { hint: 'use `luna serve status`, or `luna serve stop` first' });
    try {
      await this.sweepLeftovers();
      this.gpus = gpus;
      this.gpuProblem = gpuProblem;
      this.host = await hostInfo().catch(() => null);
      // after the sweep: a leftover engine may hold exactly these ports
      const [taken] = await portProblems(serve);
      if (taken) throw new ServeError(taken.text, { hint: taken.hint });
      // explicit ports are never silently moved (clients may have them hard-coded), and auto ones avoid them
      const reserved = new Set(serve.shards.flatMap((s) => (s.port === 'auto' ? [] : [s.port])));
      await this.listen(serve.metricsPort);
      for (const s of serve.shards) {
        const placement = plan.shards.find((p) => p.shard === s.name)!;
        const runner = new ShardRunner(s, placement, { serve, logDir: this.paths.logs, reservedPorts: reserved, onEvent: (r, e, d) => this.onShardEvent(r, e, d) });
        this.runners.push(runner);
        this.metrics.initShard(s.name);
      }
      this.metrics.updateGpus(gpus);
      this.writeState();
      await Promise.all(this.runners.map((r) => r.start()));
      this.timer = setInterval(() => void this.tick(), Math.max(1000, serve.healthIntervalMs));
      this.timer.unref();
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  /**
   * A supervisor killed with SIGKILL leaves its engines running in their own sessions, holding GPU memory and
   * ports. The previous state file names them (pid + start time, so a reused pid is never touched).
   * `luna serve stop` does the same without starting anything.
   */
  private async sweepLeftovers(): Promise<void> {
    await stopLeftovers(this.paths, findLeftovers(this.paths), this.opts.serve.stopGraceMs, (l) => {
      this.opts.onNotice?.(`${l.name}: stopping the engine a previous supervisor left running (pid ${l.pid})`);
    });
  }

  private async listen(port: number): Promise<void> {
    const token = randomBytes(24).toString('hex');
    mkdirSync(this.paths.dir, { recursive: true });
    writeFileSync(path.join(this.paths.dir, 'control.token'), token, { mode: 0o600 });
    const server = createControlServer(this.metrics, {
      state: () => this.state(),
      stopShard: (n) => this.runner(n).stop(),
      startShard: (n) => this.runner(n).start(),
      restartShard: (n) => this.runner(n).restart(),
      shutdown: () => void this.stop(),
    }, token);
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) => reject(err.code === 'EADDRINUSE'
        ? new ServeError(`metrics port ${port} is already in use`, { hint: 'set serve.metricsPort to a free port, or 0 for any' })
        : err));
      server.listen(port, '127.0.0.1', () => resolve());
    });
    const addr = server.address();
    this.controlPort = typeof addr === 'object' && addr ? addr.port : port;
    this.server = server;
  }

  runner(name: string): ShardRunner {
    const r = this.runners.find((x) => x.name === name);
    if (!r) throw new ServeError(`no shard named ${name}`);
    return r;
  }

  private onShardEvent(r: ShardRunner, event: ShardEvent, detail: string | undefined): void {
    if (event === 'restart') this.metrics.countRestart(r.name);
    this.metrics.updateShard(r.status);
    if (event !== 'metrics') this.opts.onEvent?.(r.name, event, detail, this);
    this.queueWrite();
  }

  /** Coalesces bursts of events into one state-file write. */
  private queueWrite(): void {
    if (this.writeQueued) return;
    this.writeQueued = true;
    setImmediate(() => {
      this.writeQueued = false;
      this.writeState();
    });
  }

  private async tick(): Promise<void> {
    if (this.gpus.length) {
      const { gpus } = await discoverGpus(this.opts.serve.binaries.nvidiaSmi);
      if (gpus.length) {
        this.gpus = gpus;
        this.metrics.updateGpus(gpus);
      }
    }
    this.writeState();
  }

  state(): ServeState {
    return {
      daemon: { pid: process.pid, pidStartTime: this.pidStartTime, startedAt: this.startedAt, controlPort: this.controlPort, status: this.status, detached: this.opts.detached },
      updatedAt: new Date().toISOString(),
      shards: this.runners.map((r) => ({ ...r.status })),
      gpus: this.gpus,
      gpuProblem: this.gpuProblem,
      host: this.host,
    };
  }

  private writeState(): void {
    try {
      writeJsonAtomic(this.paths.state, this.state());
    } catch {
      // a full disk must not take the engines down; the next tick retries
    }
  }

  /** Stops every shard (SIGTERM, grace, SIGKILL, sweep), closes the control server, releases the pid file. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.status = 'stopping';
      if (this.timer) clearInterval(this.timer);
      this.writeState();
      await Promise.all(this.runners.map((r) => r.stop()));
      for (const r of this.runners) r.close();
      await new Promise<void>((resolve) => {
        if (!this.server) return resolve();
        this.server.close(() => resolve());
        this.server.closeAllConnections();
      });
      this.status = 'stopped';
      this.writeState();
      rmSync(path.join(this.paths.dir, 'control.token'), { force: true });
      removePidFile(this.paths);
      this.resolveDone();
    })();
    return this.stopping;
  }
}
