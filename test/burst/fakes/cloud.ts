/**
 * The state behind the three fake provider APIs: instances that boot after a delay and then run a
 * FakeVllm on loopback, scripted failures, a request log and an optional rate limit. Each provider's
 * HTTP front-end (lambda.ts, vast.ts, runpod.ts) speaks its own wire format over this.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startFakeVllm, type FakeVllm } from './vllm.js';

export type FailKind = 'unauthorized' | 'rate-limit' | 'capacity' | 'quota' | 'server-error' | 'created-then-500';
export type FakeOp = 'offers' | 'create' | 'list' | 'terminate';

export interface FakeCloudOptions {
  apiKey: string;
  /** Create → provider says running and the server process starts. */
  bootMs?: number;
  /** Running → /health answers 200 (model load). */
  readyAfterMs?: number;
  /** The create call answers this long after the instance already exists (billing). */
  createDelayMs?: number;
  /** At most `max` requests per `windowMs`; the rest get 429 with Retry-After. */
  rateLimit?: { max: number; windowMs: number; retryAfterS: number };
  /** Lambda has no port mapping: every instance's server listens on this fixed port. */
  fixedVllm?: FakeVllm;
  /**
   * The model is gated on Hugging Face: the container gets a 401 downloading it and exits unless its env
   * carries HF_TOKEN equal to this (https://huggingface.co/docs/hub/models-gated; vLLM reads HF_TOKEN through
   * huggingface_hub, https://huggingface.co/docs/huggingface_hub/package_reference/environment_variables).
   */
  gatedToken?: string;
}

/**
 * What `vllm serve` makes of the container arguments (the vllm/vllm-openai image's entrypoint is
 * `vllm serve`, docker/Dockerfile in vllm-project/vllm). The model is positional; `--model` only draws
 * "With `vllm serve`, you should provide the model as a positional argument … The `--model` option will be
 * removed in a future version" (vllm/utils/argparse_utils.py), so this fake already refuses it.
 */
export function vllmServe(args: string[]): { model: string; served: string; port: string } | { error: string } {
  if (args.includes('--model')) return { error: 'vllm serve: --model is deprecated and removed here; give the model as the positional argument' };
  const model = args[0];
  if (!model || model.startsWith('-')) return { error: 'vllm serve: error: the following arguments are required: model_tag' };
  const opt = (name: string) => { const i = args.indexOf(name); return i > 0 ? args[i + 1] : undefined; };
  return { model, served: opt('--served-model-name') ?? model, port: opt('--port') ?? '8000' };
}

export interface FakeInstance {
  id: string;
  name: string;
  apiKey: string;
  model: string;
  gpu: string;
  price: number;
  /** `exited`: the machine is up but the container died (see `failure`). */
  status: 'pending' | 'running' | 'exited' | 'terminated';
  vllm: FakeVllm | null;
  body: Record<string, unknown>;
  /** Why the container exited (a bad command line, a gated model without a token). */
  failure?: string;
  /** A provider-specific state a test forces (Vast `frozen`/`offline`, RunPod `PAUSED`), shown as is. */
  providerState?: string;
}

export interface ContainerSpec {
  id: string;
  name: string;
  gpu: string;
  price: number;
  body: Record<string, unknown>;
  /** The arguments after the image, as the container's entrypoint (`vllm serve`) receives them. */
  args: string[];
  env: Record<string, string>;
  /** The host cannot run the container at all (driver too old, disk too small): it exits with this. */
  hostFailure?: string;
}

export interface LoggedRequest {
  method: string;
  path: string;
  body: unknown;
  authorization: string | undefined;
  at: number;
}

export class FakeCloud {
  readonly instances = new Map<string, FakeInstance>();
  readonly requests: LoggedRequest[] = [];
  readonly failures: { op: FakeOp; kind: FailKind }[] = [];
  private timers = new Set<NodeJS.Timeout>();
  private hits: number[] = [];
  private seq = 0;

  constructor(readonly opts: FakeCloudOptions) {}

  failNext(op: FakeOp, kind: FailKind, times = 1): void {
    for (let i = 0; i < times; i++) this.failures.push({ op, kind });
  }

  takeFailure(op: FakeOp): FailKind | null {
    const i = this.failures.findIndex((f) => f.op === op);
    if (i < 0) return null;
    return this.failures.splice(i, 1)[0]!.kind;
  }

  /** True when this request is over the rate limit (and should get a 429). */
  limited(now = Date.now()): boolean {
    const rl = this.opts.rateLimit;
    if (!rl) return false;
    this.hits = this.hits.filter((t) => now - t < rl.windowMs);
    if (this.hits.length >= rl.max) return true;
    this.hits.push(now);
    return false;
  }

  nextId(prefix: string): string {
    this.seq++;
    return `${prefix}${this.seq}`;
  }

  /** A machine whose container runs `vllm serve <args>` with `env`; a bad command line or missing token exits it. */
  createContainer(c: ContainerSpec): FakeInstance {
    const serve = vllmServe(c.args);
    const model = 'error' in serve ? '' : serve.served;
    let failure: string | undefined = c.hostFailure;
    if (failure) { /* the host fails before the command line matters */ } else if ('error' in serve) failure = serve.error;
    else if (this.opts.gatedToken && c.env.HF_TOKEN !== this.opts.gatedToken) {
      failure = `401 Client Error: Cannot access gated repo for url https://huggingface.co/${serve.model}/resolve/main/config.json`;
    }
    return this.create({ id: c.id, name: c.name, apiKey: c.env.VLLM_API_KEY ?? '', model, gpu: c.gpu, price: c.price, body: c.body }, failure);
  }

  create(inst: Omit<FakeInstance, 'status' | 'vllm'>, failure?: string): FakeInstance {
    const i: FakeInstance = { ...inst, status: 'pending', vllm: null };
    this.instances.set(i.id, i);
    this.later(this.opts.bootMs ?? 0, async () => {
      if (i.status === 'terminated') return;
      if (failure) { i.status = 'exited'; i.failure = failure; return; }
      if (this.opts.fixedVllm) {
        i.vllm = this.opts.fixedVllm;
        i.vllm.apiKey = i.apiKey;
        const ms = this.opts.readyAfterMs ?? 0;
        this.later(ms, () => { if (i.status !== 'terminated') i.vllm?.setReady(true); });
      } else {
        i.vllm = await startFakeVllm({ apiKey: i.apiKey, model: i.model, readyAfterMs: this.opts.readyAfterMs ?? 0 });
      }
      if ((i.status as string) === 'terminated') { await this.stopVllm(i); return; }
      i.status = 'running';
    });
    return i;
  }

  async terminate(id: string): Promise<FakeInstance | null> {
    const i = this.instances.get(id);
    if (!i || i.status === 'terminated') return null;
    i.status = 'terminated';
    await this.stopVllm(i);
    return i;
  }

  /** The provider takes an interruptible instance back (outbid, preempted): the container stops, the record stays. */
  async interrupt(id: string, reason: string): Promise<void> {
    const i = this.instances.get(id);
    if (!i || i.status === 'terminated') return;
    i.status = 'exited';
    i.failure = reason;
    await this.stopVllm(i);
    i.vllm = null;
  }

  live(): FakeInstance[] {
    return [...this.instances.values()].filter((i) => i.status !== 'terminated');
  }

  private async stopVllm(i: FakeInstance): Promise<void> {
    if (!i.vllm) return;
    if (i.vllm === this.opts.fixedVllm) i.vllm.setReady(false);
    else await i.vllm.close();
  }

  later(ms: number, fn: () => unknown): void {
    const t = setTimeout(() => { this.timers.delete(t); void fn(); }, ms);
    this.timers.add(t);
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    for (const i of this.instances.values()) if (i.vllm && i.vllm !== this.opts.fixedVllm) await i.vllm.close();
  }
}

export function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let s = '';
    req.on('data', (c: Buffer) => { s += c.toString(); });
    req.on('end', () => { try { resolve(s ? JSON.parse(s) : null); } catch (e) { reject(e); } });
    req.on('error', reject);
  });
}

export function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface FakeServer {
  url: string;
  cloud: FakeCloud;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1:0 and logs every request (auth header included, for the tests to check). */
export async function serve(cloud: FakeCloud, handler: (req: IncomingMessage, res: ServerResponse, body: unknown, path: string) => Promise<void>): Promise<FakeServer> {
  const server: Server = createServer(async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    let body: unknown = null;
    try { body = await readJson(req); } catch { return send(res, 400, { error: 'bad json' }); }
    cloud.requests.push({ method: req.method ?? 'GET', path, body, authorization: req.headers.authorization, at: Date.now() });
    try {
      await handler(req, res, body, path);
    } catch (err) {
      if (!res.headersSent) send(res, 500, { error: String(err) });
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    cloud,
    close: async () => {
      await cloud.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
