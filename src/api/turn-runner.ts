import type { LoadedConfig } from '../config/load.js';
import { BusyError, isAbortError } from '../errors.js';
import type { PipelineDeps } from '../pipeline/deps.js';
import type { TurnEvent } from '../pipeline/events.js';
import type { TurnInput } from '../pipeline/run-turn.js';
import type { Session } from '../runtime/session.js';
import type { Span } from '../telemetry/span.js';
import { afterCommit } from '../story/ops.js';
import type { Store } from '../store/types.js';
import { HttpError, statusForExit } from './errors.js';
import type { ApiMetrics } from './metrics.js';
import { createTurnSlots } from './turn-slots.js';

export interface TurnRunnerOptions {
  session: Session;
  loaded: LoadedConfig;
  /** The opener's store, for the Dreamer (it works across accounts, as `luna dream` does). */
  store: Store;
  metrics: ApiMetrics;
  /** Admission control: turns beyond this many in flight (running or waiting) get 503 with Retry-After. */
  maxInFlight: number;
  /** Turns that run on the models at once; the rest wait by tier priority (cost.tiers.X.priority). */
  maxConcurrent: number;
  /** false: leave Dreamer jobs to `luna dream` workers. */
  dream: boolean;
  onWarning?: (message: string) => void;
}

/**
 * Runs turns for the HTTP routes: admission control, one turn per story in this process (409 at once, not
 * after paying for a turn that would lose at commit; across processes the commit's head check still says 409),
 * cancellation on client disconnect or shutdown, metrics, and the after-commit Dreamer step.
 */
export function createTurnRunner(o: TurnRunnerOptions) {
  const slots = createTurnSlots(o.maxConcurrent);
  const busy = new Set<string>();
  const running = new Map<AbortController, Promise<void>>();
  const dreamCtrl = new AbortController();
  let dreaming: Promise<void> | null = null;
  let dreamAgain = false;
  let closing = false;
  const inTier = new Map<string, number>();
  // An account's tier changes rarely: one lookup a minute per account keeps the per-turn cost to a map read.
  const tiers = new Map<string, { tier: string; at: number }>();
  const tierOf = async (accountId: string | undefined): Promise<string> => {
    if (!accountId) return 'default';
    const hit = tiers.get(accountId);
    if (hit && Date.now() - hit.at < 60_000) return hit.tier;
    const tier = (await o.store.getAccount(accountId).catch(() => null))?.tier ?? 'default';
    if (tiers.size >= 4096) tiers.clear();
    tiers.set(accountId, { tier, at: Date.now() });
    return tier;
  };
  const countTier = (tier: string, d: number) => {
    const n = (inTier.get(tier) ?? 0) + d;
    inTier.set(tier, n);
    o.metrics.inFlightByTier.set({ tier }, n);
  };

  const dream = (jobsQueued: number) => {
    if (closing) return;
    if (dreaming) {
      dreamAgain = true;
      return;
    }
    dreaming = (async () => {
      do {
        dreamAgain = false;
        try {
          await afterCommit({ ...o.session.deps, store: o.store, signal: dreamCtrl.signal }, o.loaded, { jobsQueued, dream: o.dream, workerId: `api:${process.pid}` });
        } catch (err) {
          if (!isAbortError(err)) o.onWarning?.(`dreamer: ${(err as Error).message}`);
        }
      } while (dreamAgain && !closing);
    })().finally(() => (dreaming = null));
  };

  /**
   * Yields the turn's events. Refusals (overload, story busy, shutting down) throw from the first next(),
   * before a caller has sent any header; everything later arrives as events, as runTurn yields them.
   */
  const showQueue = () => {
    o.metrics.queued.reset();
    for (const [tier, n] of slots.waitingByTier()) o.metrics.queued.set({ tier }, n);
  };

  /**
   * A slot for the turn: at once when one is free; for a tier configured to degrade, at once on its degrade
   * models when enough turns already wait; otherwise in line by tier priority. Returns the deps to run with.
   */
  const admit = async (tier: string, signal: AbortSignal): Promise<{ release: () => void; deps: PipelineDeps; degradedTo: string | null }> => {
    const t = o.loaded.config.cost.tiers[tier];
    const degrade = t?.degrade;
    if (slots.running >= o.maxConcurrent && degrade && slots.waiting >= degrade.whenQueued) {
      o.metrics.degraded.inc({ tier });
      const names = Object.entries(degrade.models).map(([agent, m]) => `${agent} → ${m}`).join(', ');
      return { release: () => undefined, deps: o.session.withModels(degrade.models), degradedTo: names };
    }
    const wait = slots.acquire(tier, t?.priority ?? 0, signal);
    showQueue();
    const release = await wait.finally(showQueue);
    return { release, deps: o.session.deps, degradedTo: null };
  };

  async function* play(store: Store, input: TurnInput, clientSignal: AbortSignal, accountId?: string, traceParent?: Span | null): AsyncGenerator<TurnEvent, void, undefined> {
    // Looked up before the admission checks: nothing may await between counting the turns in flight and adding one.
    const tier = await tierOf(accountId);
    if (closing) throw new HttpError(503, 'shutting_down', 'the server is shutting down', 'retry against another instance', 1);
    if (running.size >= o.maxInFlight) {
      o.metrics.overloaded.inc();
      throw new HttpError(503, 'overloaded', `${running.size} turns in flight, the most this server runs at once`, 'retry after the Retry-After delay', 1);
    }
    if (busy.has(input.storyId)) throw new BusyError('story is busy: another turn on it is running', { hint: 'wait for it to finish, then retry' });
    busy.add(input.storyId);
    countTier(tier, 1);
    const ctrl = new AbortController();
    const onClient = () => ctrl.abort();
    clientSignal.addEventListener('abort', onClient, { once: true });
    if (clientSignal.aborted) ctrl.abort();
    let release!: () => void;
    running.set(ctrl, new Promise<void>((r) => (release = r)));
    o.metrics.inFlight.set(running.size);
    const t0 = performance.now();
    let first = true;
    let outcome = 'cancelled';
    let slot: (() => void) | null = null;
    try {
      const admitted = await admit(tier, ctrl.signal).catch((err: unknown) => {
        if (ctrl.signal.aborted) return null;
        throw err;
      });
      if (!admitted) return;
      slot = admitted.release;
      if (admitted.degradedTo) yield { type: 'warning', message: `the service is busy: this turn runs on smaller models (${admitted.degradedTo}) instead of waiting` };
      const { runTurn } = await import('../pipeline/run-turn.js');
      const turn = runTurn(input, { ...admitted.deps, store, signal: ctrl.signal });
      const traced = o.session.telemetry.traceTurn(turn, { parent: traceParent, attributes: { 'luna.turn.mode': input.mode ?? 'continue', 'luna.front_end': 'api', 'luna.account.tier': tier } });
      for await (const e of traced) {
        if (e.type === 'prose-token' && first) {
          first = false;
          o.metrics.ttftSeconds.observe((performance.now() - t0) / 1000);
        }
        if (e.type === 'done') {
          outcome = 'done';
          o.metrics.turnSeconds.observe((performance.now() - t0) / 1000);
          o.metrics.tokens.inc({ direction: 'input' }, e.totals.inputTokens);
          o.metrics.tokens.inc({ direction: 'output' }, e.totals.outputTokens);
          o.metrics.costUsd.inc(e.totals.costUsd);
          if (e.jobsQueued > 0) dream(e.jobsQueued);
        }
        if (e.type === 'error') outcome = e.cancelled ? 'cancelled' : statusForExit(e.exitCode).code;
        yield e;
      }
    } finally {
      slot?.();
      clientSignal.removeEventListener('abort', onClient);
      busy.delete(input.storyId);
      running.delete(ctrl);
      o.metrics.inFlight.set(running.size);
      o.metrics.turns.inc({ outcome });
      o.metrics.turnsByTier.inc({ tier, outcome });
      countTier(tier, -1);
      release();
    }
  }

  return {
    play,
    /** True once shutdown began: /readyz says 503 so load balancers stop sending work. */
    get closing(): boolean {
      return closing;
    },
    get inFlight(): number {
      return running.size;
    },
    /**
     * Stops taking turns, lets the running ones finish within `deadlineMs`, then cancels the rest (a cancelled
     * turn writes nothing but its paid calls) and the Dreamer, and waits for all of them to stop.
     */
    async shutdown(deadlineMs: number): Promise<void> {
      closing = true;
      const all = () => Promise.allSettled([...running.values()]);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([all(), new Promise<void>((r) => (timer = setTimeout(r, deadlineMs)))]);
      clearTimeout(timer);
      for (const c of running.keys()) c.abort();
      dreamCtrl.abort();
      await all();
      await dreaming;
    },
    /** Resolves when background Dreamer work has finished (tests, benches). */
    async idle(): Promise<void> {
      while (dreaming) await dreaming;
    },
  };
}

export type TurnRunner = ReturnType<typeof createTurnRunner>;
