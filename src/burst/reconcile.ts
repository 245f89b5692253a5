import { redactSecrets } from '../errors.js';
import type { BurstInstance } from '../store/types.js';
import { billInstance } from './billing.js';
import { inFlight, isHealthy } from './health.js';
import type { BurstManager } from './manager.js';
import { namePrefix } from './names.js';
import type { ProviderInstance, ProviderName } from './types.js';

export interface Orphan {
  provider: ProviderName;
  instance: ProviderInstance;
}

export interface ReconcileReport {
  instances: BurstInstance[];
  /** LUNA-named instances at a provider that the store does not know as running: leaks to clean up. */
  orphans: Orphan[];
  changes: string[];
  /** Providers whose list failed; their instances were left as they were. */
  errors: { provider: ProviderName; error: string }[];
  /** Where each not-yet-ready instance is: booting/pulling the image (the provider's words), or loading the model. */
  phases: Record<string, string>;
  /** Instances that were serving when their provider stopped them (spot interruption, crash): to replace. */
  lost: string[];
}

function secs(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

/** A container that exited on its own is a crash; name the gated-model case, the usual one at first launch. */
function crashReason(pi: ProviderInstance, hasToken: boolean): string {
  const detail = pi.detail ? redactSecrets(pi.detail) : 'no reason given';
  const gated = /gated|401|403|HF_TOKEN/i.test(detail) && !hasToken ? ' (a gated model needs HF_TOKEN: set burst.hfTokenEnv or export HF_TOKEN)' : '';
  return `stopped at the provider: ${detail}${gated}`;
}

/** A create that is still in flight (maybe in another process) is not "missing" until this much time passed. */
const LAUNCH_GRACE_MS = 120_000;

const PROBE_CONCURRENCY = 16;

async function eachLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

const LIVE: readonly BurstInstance['state'][] = ['launching', 'starting', 'ready', 'draining', 'terminating'];

/**
 * Brings the store in line with what the providers report: adopts instances whose create outcome was
 * unknown, marks vanished ones terminated, promotes healthy ones to ready, records activity, bills,
 * and lists orphans (LUNA's name prefix, unknown to the store or already marked gone).
 */
export async function reconcileAll(m: BurstManager): Promise<ReconcileReport> {
  const prefix = namePrefix(m.deployment);
  const all = await m.instances(true);
  const report: ReconcileReport = { instances: [], orphans: [], changes: [], errors: [], phases: {}, lost: [] };
  const listed = new Map<ProviderName, ProviderInstance[]>();
  for (const [name, p] of m.providers) {
    try {
      listed.set(name, (await p.list()).filter((i) => i.name.startsWith(prefix)));
    } catch (err) {
      report.errors.push({ provider: name, error: redactSecrets(err instanceof Error ? err.message : String(err)) });
    }
  }
  const claimed = new Set<string>();
  const now = m.now();
  // Health and load probes are network round trips: run them in parallel, a bounded number at once.
  await eachLimited(all, PROBE_CONCURRENCY, async (inst) => {
    const remote = listed.get(inst.provider);
    if (!LIVE.includes(inst.state) || !remote) return;
    const pi = remote.find((r) => (inst.providerInstanceId !== null && r.providerInstanceId === inst.providerInstanceId) || r.name === inst.name);
    if (pi) claimed.add(`${inst.provider}:${pi.providerInstanceId}`);
    if (!pi || pi.status === 'terminated') {
      if (!pi && inst.state === 'launching' && now - Date.parse(inst.launchedAt) < LAUNCH_GRACE_MS) return;
      await billInstance(m.store, inst, now);
      inst.state = 'terminated';
      inst.terminatedAt = new Date(now).toISOString();
      if (!pi && inst.providerInstanceId === null) inst.lastError = inst.lastError ?? 'never created at the provider';
      else inst.lastError = inst.lastError ?? 'gone at the provider';
      await m.store.saveBurstInstance(inst);
      report.changes.push(`${inst.name}: marked terminated (${inst.lastError})`);
      return;
    }
    if (inst.providerInstanceId === null) {
      inst.providerInstanceId = pi.providerInstanceId;
      report.changes.push(`${inst.name}: adopted ${inst.provider} ${pi.providerInstanceId}`);
    }
    if (pi.endpoint && pi.endpoint !== inst.endpoint) inst.endpoint = pi.endpoint;
    if (inst.state === 'launching') inst.state = 'starting';
    // The container stopped by itself (crash, bad command line, gated model, spot reclaim): it will not serve,
    // and a stopped machine still bills for its disk, so it goes now rather than at readyTimeoutMs.
    if (pi.status === 'stopped' && (inst.state === 'starting' || inst.state === 'ready')) {
      // Only one that served is replaced: one that never came up would fail the same way again.
      if (inst.state === 'ready') report.lost.push(inst.id);
      inst.lastError = crashReason(pi, m.hfToken !== null);
      await m.store.saveBurstInstance(inst);
      try {
        await m.retire(inst, inst.lastError, { drain: false });
        report.changes.push(`${inst.name}: terminated: ${inst.lastError}`);
      } catch (err) {
        report.errors.push({ provider: inst.provider, error: redactSecrets(err instanceof Error ? err.message : String(err)) });
      }
      return;
    }
    const launched = Date.parse(inst.launchedAt);
    if (pi.status === 'running' && !m.runningSince.has(inst.id)) m.runningSince.set(inst.id, now);
    const runningAt = m.runningSince.get(inst.id);
    if (inst.state === 'starting' && pi.status === 'running' && inst.endpoint && (await isHealthy(inst.endpoint))) {
      inst.state = 'ready';
      inst.readyAt = new Date(now).toISOString();
      const split = runningAt !== undefined && runningAt > launched ? `: boot and image pull ${secs(runningAt - launched)}, model load ${secs(now - runningAt)}` : '';
      report.changes.push(`${inst.name}: ready at ${inst.endpoint} after ${secs(now - launched)}${split} (disk ${m.config.diskGb} GB)`);
    } else if (inst.state === 'starting') {
      report.phases[inst.id] = pi.status === 'running'
        ? `loading model${runningAt !== undefined ? ` for ${secs(now - runningAt)}` : ''} (up ${secs(now - launched)})`
        : `${pi.detail ?? 'booting'} (up ${secs(now - launched)}, disk ${m.config.diskGb} GB)`;
    } else if (inst.state === 'ready' && inst.endpoint) {
      const n = await inFlight(inst.endpoint, inst.apiKey);
      if (n !== null && n > 0) inst.lastActiveAt = new Date(now).toISOString();
    }
    await m.store.saveBurstInstance(inst);
  });
  for (const [provider, remote] of listed) {
    for (const pi of remote) {
      if (pi.status === 'terminated' || claimed.has(`${provider}:${pi.providerInstanceId}`)) continue;
      report.orphans.push({ provider, instance: pi });
    }
  }
  report.instances = await m.instances(true);
  await m.billAll(report.instances);
  return report;
}
