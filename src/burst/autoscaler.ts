import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { LunaError, redactSecrets } from '../errors.js';
import type { BurstInstance } from '../store/types.js';
import type { BurstManager } from './manager.js';
import { scrapeWaiting } from './metrics.js';
import { searchOffers, type PlanRequest } from './plan.js';
import { decide, EMPTY_MEMORY, type Decision, type PolicyInstance, type PolicyMemory } from './policy.js';
import { writeLastStep } from './last-step.js';
import type { Orphan } from './reconcile.js';

export interface StepReport {
  at: string;
  waiting: number | null;
  metricsError: string | null;
  decisions: Decision[];
  launched: string[];
  terminated: string[];
  errors: string[];
  orphans: Orphan[];
  instances: BurstInstance[];
}

export interface AutoscalerOptions {
  request: PlanRequest;
  /** Where policy memory survives between `watch --once` runs; in-memory only when unset. */
  memoryFile?: string;
  /** Where the last step's decisions and orphans are written for `luna top`; not written when unset. */
  lastStepFile?: string;
}

function toPolicy(i: BurstInstance): PolicyInstance {
  const t = (s: string | null) => (s === null ? null : Date.parse(s));
  return { id: i.id, state: i.state, pricePerHour: i.pricePerHour, launchedAt: Date.parse(i.launchedAt), readyAt: t(i.readyAt), lastActiveAt: t(i.lastActiveAt) };
}

/** One reconcile + decide + act step per call; `luna burst watch` calls it on an interval. */
export class Autoscaler {
  private memory: PolicyMemory;

  constructor(private readonly m: BurstManager, private readonly opts: AutoscalerOptions) {
    this.memory = this.loadMemory();
  }

  async step(): Promise<StepReport> {
    const cfg = this.m.config;
    const rec = await this.m.reconcile();
    const { waiting, error } = await scrapeWaiting(cfg.metricsUrl);
    const now = this.m.now();
    const active = rec.instances.filter((i) => ['launching', 'starting', 'ready'].includes(i.state));
    if (waiting !== null && waiting > 0) {
      // Overflow traffic is being spread over ready burst replicas, so they count as busy.
      for (const i of active.filter((x) => x.state === 'ready')) {
        i.lastActiveAt = new Date(now).toISOString();
        await this.m.store.saveBurstInstance(i);
      }
    }
    const report: StepReport = {
      at: new Date(now).toISOString(), waiting, metricsError: error, decisions: [], launched: [], terminated: [],
      errors: rec.errors.map((e) => `${e.provider}: ${e.error}`), orphans: rec.orphans, instances: [],
    };
    const mayLaunch = active.length < cfg.minInstances || rec.lost.length > 0 || (waiting !== null && waiting > cfg.scaleUpQueueDepth);
    let offers: Awaited<ReturnType<typeof searchOffers>>['offers'] = [];
    if (mayLaunch) {
      const s = await searchOffers([...this.m.providers.values()], this.opts.request);
      offers = s.offers;
      report.errors.push(...s.failures.map((f) => `${f.provider}: ${f.error}`));
    }
    const monthSpentUsd = await this.m.monthSpent();
    const out = decide(cfg, active.map(toPolicy), this.memory, { waiting, monthSpentUsd, nextPricePerHour: offers[0]?.pricePerHour ?? null, lost: rec.lost.length }, now);
    report.decisions = out.decisions;
    this.memory = out.memory;
    this.saveMemory();
    for (const d of out.decisions) {
      try {
        if (d.action === 'launch') {
          for (let k = 0; k < d.count; k++) report.launched.push((await this.m.launchBest(offers)).id);
        } else if (d.action === 'terminate') {
          const inst = active.find((i) => i.id === d.id);
          if (inst) report.terminated.push((await this.m.retire(inst, d.reason)).id);
        }
      } catch (err) {
        report.errors.push(redactSecrets(err instanceof LunaError || err instanceof Error ? err.message : String(err)));
      }
    }
    report.instances = await this.m.instances(true);
    if (this.opts.lastStepFile) {
      try {
        writeLastStep(this.opts.lastStepFile, report);
      } catch {
        // a full disk must not stop the autoscaler; `luna top` shows the decision as stale
      }
    }
    return report;
  }

  private loadMemory(): PolicyMemory {
    const f = this.opts.memoryFile;
    if (!f || !existsSync(f)) return { ...EMPTY_MEMORY };
    try {
      return { ...EMPTY_MEMORY, ...(JSON.parse(readFileSync(f, 'utf8')) as Partial<PolicyMemory>) };
    } catch {
      return { ...EMPTY_MEMORY };
    }
  }

  private saveMemory(): void {
    const f = this.opts.memoryFile;
    if (!f) return;
    mkdirSync(path.dirname(f), { recursive: true });
    writeFileSync(f, `${JSON.stringify(this.memory)}\n`);
  }
}
