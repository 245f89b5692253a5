import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { writeJsonAtomic } from '../serve/state.js';
import type { StepReport } from './autoscaler.js';
import type { Decision } from './policy.js';

/**
 * The autoscaler's last step as other processes read it (`luna top`): what it decided and why, what it could
 * not do, and the orphans its reconcile found. No keys or endpoints: only names and reasons.
 */
export interface LastStep {
  at: string;
  waiting: number | null;
  metricsError: string | null;
  decisions: Decision[];
  errors: string[];
  orphans: { provider: string; name: string; providerInstanceId: string; status: string }[];
}

export function lastStepFile(home: string, deployment: string): string {
  return path.join(home, 'burst', `autoscaler-${deployment}.last.json`);
}

export function writeLastStep(file: string, r: StepReport): void {
  const last: LastStep = {
    at: r.at, waiting: r.waiting, metricsError: r.metricsError, decisions: r.decisions, errors: r.errors,
    orphans: r.orphans.map((o) => ({ provider: o.provider, name: o.instance.name, providerInstanceId: o.instance.providerInstanceId, status: o.instance.status })),
  };
  mkdirSync(path.dirname(file), { recursive: true });
  writeJsonAtomic(file, last);
}

/** null when no autoscaler has run here yet (or the file is unreadable: a half-written one is never seen). */
export function readLastStep(file: string): LastStep | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as LastStep;
  } catch {
    return null;
  }
}
