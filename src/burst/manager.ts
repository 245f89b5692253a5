import type { BurstConfig } from '../config/schema.js';
import { BudgetError, BurstError, ConfigError, NotFoundError, redactSecrets } from '../errors.js';
import type { BurstInstance } from '../store/types.js';
import { billInstance, monthSpend, type BurstStore } from './billing.js';
import { inFlight } from './health.js';
import { ProviderError } from './http.js';
import { instanceName, newInstanceApiKey, newInstanceId } from './names.js';
import { checkBudget } from './policy.js';
import { reconcileAll, type ReconcileReport } from './reconcile.js';
import type { BurstProvider, Offer, ProviderInstance, ProviderName } from './types.js';

export interface ManagerOptions {
  store: BurstStore;
  config: BurstConfig;
  providers: BurstProvider[];
  now?: () => number;
  /** Progress lines for the CLI (never contains keys). */
  log?: (line: string) => void;
  /** How often drain polls the instance's in-flight count. */
  pollMs?: number;
  /** Minimum span per spend row while an instance keeps running. */
  billEveryMs?: number;
  /** Extra check before every launch (the global cost budget); throws BudgetError to refuse. */
  beforeLaunch?: () => Promise<unknown>;
  /** Where burst.hfTokenEnv is read from (default process.env). */
  env?: NodeJS.ProcessEnv;
}

const ACTIVE_STATES: readonly BurstInstance['state'][] = ['launching', 'starting', 'ready', 'draining', 'terminating'];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Launches, tracks, bills and retires burst instances. Every state change is saved before the next provider call. */
export class BurstManager {
  readonly store: BurstStore;
  readonly config: BurstConfig;
  readonly providers: Map<ProviderName, BurstProvider>;
  readonly now: () => number;
  private readonly log: (line: string) => void;
  private readonly pollMs: number;
  readonly billEveryMs: number;
  private readonly beforeLaunch: () => Promise<unknown>;
  private readonly env: NodeJS.ProcessEnv;
  /** When this process first saw each instance running at its provider: splits boot/pull time from model load. */
  readonly runningSince = new Map<string, number>();

  constructor(o: ManagerOptions) {
    this.store = o.store;
    this.config = o.config;
    this.providers = new Map(o.providers.map((p) => [p.name, p]));
    this.now = o.now ?? Date.now;
    this.log = o.log ?? (() => {});
    this.pollMs = o.pollMs ?? 1000;
    this.billEveryMs = o.billEveryMs ?? 60_000;
    this.beforeLaunch = o.beforeLaunch ?? (async () => undefined);
    this.env = o.env ?? process.env;
  }

  /** HF_TOKEN for the instances: burst.hfToken, else the env var burst.hfTokenEnv names. */
  get hfToken(): string | null {
    return this.config.hfToken ?? (this.env[this.config.hfTokenEnv]?.trim() || null);
  }

  get deployment(): string {
    return this.config.deployment;
  }

  async instances(all = false): Promise<BurstInstance[]> {
    const list = await this.store.listBurstInstances({ deployment: this.deployment });
    return all ? list : list.filter((i) => ACTIVE_STATES.includes(i.state));
  }

  async monthSpent(): Promise<number> {
    return monthSpend(this.store, await this.instances(), this.now());
  }

  /** Throws BudgetError (exit 8) when one more instance at `price` would pass a cap (the global budget included). */
  async assertBudget(price: number): Promise<void> {
    await this.beforeLaunch();
    await this.assertBudgetFor(1, price);
  }

  /**
   * Throws BudgetError (exit 8) when `count` more instances at `price` would pass burst.maxHourlySpend or
   * burst.monthlyBudgetUsd (each must still fit one billed hour); returns the burst $/h after them.
   */
  async assertBudgetFor(count: number, price: number): Promise<number> {
    const active = (await this.instances()).filter((i) => i.state !== 'terminating');
    let hourly = active.reduce((s, i) => s + i.pricePerHour, 0);
    let spent = await this.monthSpent();
    for (let k = 0; k < count; k++) {
      const b = checkBudget(this.config, hourly, spent, price);
      if (!b.ok) {
        const which = count > 1 ? `instance ${k + 1} of ${count}` : 'it';
        throw new BudgetError(`burst launch refused: ${which} ${b.reason}`, {
          hint: b.kind === 'hourly'
            ? `raise burst.maxHourlySpend or ${count > 1 ? 'lower --count' : 'bring an instance down first'}`
            : 'raise burst.monthlyBudgetUsd or wait for next month',
        });
      }
      hourly += price;
      spent += price;
    }
    return hourly;
  }

  /**
   * Reconciles until every instance in `ids` answers /health (`ready`), one of them goes away (`gone`), or
   * `timeoutMs` passes (`timeout`); onProgress hears the ready count after each round.
   */
  async waitReady(ids: string[], o: { timeoutMs: number; pollMs?: number; onProgress?: (ready: number, total: number, phases: string[]) => void; onGone?: (instance: BurstInstance) => void }): Promise<'ready' | 'gone' | 'timeout'> {
    const deadline = this.now() + o.timeoutMs;
    for (;;) {
      const rep = await this.reconcile();
      const mine = rep.instances.filter((i) => ids.includes(i.id));
      const ready = mine.filter((i) => i.state === 'ready').length;
      o.onProgress?.(ready, ids.length, mine.map((i) => rep.phases[i.id]).filter((x): x is string => Boolean(x)));
      if (ready === ids.length) return 'ready';
      const gone = mine.find((i) => i.state === 'terminated' || i.state === 'failed');
      if (gone) {
        o.onGone?.(gone);
        return 'gone';
      }
      if (this.now() > deadline) return 'timeout';
      await sleep(o.pollMs ?? 2000);
    }
  }

  provider(name: ProviderName): BurstProvider {
    const p = this.providers.get(name);
    if (!p) throw new ConfigError(`provider ${name} is not configured here`, { hint: `set its API key (burst.providers.${name})` });
    return p;
  }

  /**
   * Rents one instance for `offer`. The record is saved as `launching` before the provider call, so a
   * crash mid-call leaves a name that reconcile can find. A 5xx or timeout is reconciled by name first:
   * the instance may exist and bill even though the call failed.
   */
  async launch(offer: Offer): Promise<BurstInstance> {
    if (!this.config.model) throw new ConfigError('burst.model is not set', { hint: 'set burst.model to the Hugging Face model id the instances should serve' });
    await this.assertBudget(offer.pricePerHour);
    const provider = this.provider(offer.provider);
    const id = newInstanceId();
    const inst: BurstInstance = {
      id,
      name: instanceName(this.deployment, id),
      deployment: this.deployment,
      provider: offer.provider,
      providerInstanceId: null,
      gpuType: offer.gpuType,
      gpuCount: offer.gpuCount,
      pricePerHour: offer.pricePerHour,
      state: 'launching',
      endpoint: null,
      apiKey: newInstanceApiKey(),
      serves: this.config.serves,
      launchedAt: new Date(this.now()).toISOString(),
      readyAt: null,
      lastActiveAt: null,
      terminatedAt: null,
      billedUntil: null,
      lastError: null,
    };
    await this.store.saveBurstInstance(inst);
    const spec = { name: inst.name, offer, image: this.config.image, model: this.config.model, apiKey: inst.apiKey ?? '', port: this.config.port, diskGb: this.config.diskGb, hfToken: this.hfToken };
    for (let attempt = 0; ; attempt++) {
      try {
        const r = await provider.launch(spec);
        inst.providerInstanceId = r.providerInstanceId;
        inst.endpoint = r.endpoint;
        inst.state = 'starting';
        await this.store.saveBurstInstance(inst);
        this.log(`launched ${inst.name} (${offer.provider} ${r.providerInstanceId})`);
        return inst;
      } catch (err) {
        if (err instanceof ProviderError && err.maybeCreated) {
          this.log(`${offer.provider} create failed (${err.message}); checking whether ${inst.name} exists anyway`);
          const found = await this.findByName(provider, inst.name).catch(() => null);
          if (found) {
            inst.providerInstanceId = found.providerInstanceId;
            inst.endpoint = found.endpoint;
            inst.state = 'starting';
            inst.lastError = redactSecrets(err.message);
            await this.store.saveBurstInstance(inst);
            this.log(`adopted ${inst.name}: it was created despite the error`);
            return inst;
          }
          if (attempt === 0) continue;
        }
        inst.state = 'failed';
        inst.lastError = redactSecrets(err instanceof Error ? err.message : String(err));
        inst.terminatedAt = new Date(this.now()).toISOString();
        inst.billedUntil = inst.terminatedAt;
        await this.store.saveBurstInstance(inst);
        throw err;
      }
    }
  }

  /** Tries offers cheapest first; a capacity refusal moves on to the next (at most `tries`). */
  async launchBest(offers: Offer[], tries = 3): Promise<BurstInstance> {
    if (!offers.length) throw new BurstError('no offer fits the request (GPU type, count, max price)', { hint: 'see `luna burst plan`; try another --gpu or a higher --max-price' });
    let last: unknown;
    for (const offer of offers.slice(0, tries)) {
      try {
        return await this.launch(offer);
      } catch (err) {
        if (!(err instanceof ProviderError) || !err.retryable || err.maybeCreated) throw err;
        this.log(`${offer.provider} refused ${offer.gpuType}: ${err.message}`);
        last = err;
      }
    }
    throw last;
  }

  async findByName(provider: BurstProvider, name: string): Promise<ProviderInstance | null> {
    const all = await provider.list();
    return all.find((p) => p.name === name && p.status !== 'terminated') ?? null;
  }

  reconcile(): Promise<ReconcileReport> {
    return reconcileAll(this);
  }

  async resolve(idOrName: string): Promise<BurstInstance> {
    const list = await this.instances(true);
    const hit = list.find((i) => i.id === idOrName || i.name === idOrName || i.providerInstanceId === idOrName);
    if (!hit) throw new NotFoundError(`no burst instance ${idOrName} in deployment ${this.deployment}`, { hint: 'see `luna burst status`' });
    return hit;
  }

  /**
   * Takes an instance out of service: `draining` first (routing drops it), waits for in-flight requests
   * (bounded by burst.drainTimeoutMs), then terminates at the provider and writes the final spend row.
   */
  async retire(inst: BurstInstance, reason: string, opts: { drain?: boolean } = {}): Promise<BurstInstance> {
    if (inst.state === 'terminated' || inst.state === 'failed') return inst;
    const drain = opts.drain !== false && inst.state === 'ready' && inst.endpoint !== null;
    inst.state = 'draining';
    await this.store.saveBurstInstance(inst);
    if (drain && inst.endpoint) {
      const until = this.now() + this.config.drainTimeoutMs;
      while (this.now() < until) {
        const n = await inFlight(inst.endpoint, inst.apiKey);
        if (n === null || n === 0) break;
        this.log(`${inst.name}: draining, ${n} request(s) in flight`);
        await sleep(this.pollMs);
      }
    }
    inst.state = 'terminating';
    await this.store.saveBurstInstance(inst);
    const provider = this.provider(inst.provider);
    let pid = inst.providerInstanceId;
    if (!pid) pid = (await this.findByName(provider, inst.name))?.providerInstanceId ?? null;
    if (pid) await provider.terminate(pid);
    const at = this.now();
    await billInstance(this.store, inst, at);
    inst.providerInstanceId = pid;
    inst.state = 'terminated';
    inst.terminatedAt = new Date(at).toISOString();
    await this.store.saveBurstInstance(inst);
    this.log(`terminated ${inst.name} (${reason})`);
    return inst;
  }

  async terminateOrphan(provider: ProviderName, pi: ProviderInstance): Promise<void> {
    await this.provider(provider).terminate(pi.providerInstanceId);
    this.log(`terminated orphan ${pi.name} (${provider} ${pi.providerInstanceId})`);
  }

  async billAll(instances: BurstInstance[]): Promise<void> {
    const now = this.now();
    for (const i of instances) if (ACTIVE_STATES.includes(i.state)) await billInstance(this.store, i, now, this.billEveryMs);
  }
}
