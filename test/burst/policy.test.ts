import { describe, expect, it } from 'vitest';
import { checkBudget, decide, EMPTY_MEMORY, type PolicyInstance, type PolicyMemory } from '../../src/burst/policy.js';
import { burstConfig } from './helpers.js';

const cfg = burstConfig({ scaleUpQueueDepth: 8, scaleUpWindowMs: 60_000, idleTtlMs: 600_000, maxLifetimeMs: 3_600_000, cooldownMs: 120_000, minInstances: 0, maxInstances: 2, readyTimeoutMs: 900_000 });
const T0 = Date.parse('2026-03-10T12:00:00Z');
const sig = (waiting: number | null, extra: Partial<{ monthSpentUsd: number; nextPricePerHour: number | null }> = {}) => ({ waiting, monthSpentUsd: 0, nextPricePerHour: 1.5, ...extra });
const ready = (id: string, at: number, extra: Partial<PolicyInstance> = {}): PolicyInstance => ({ id, state: 'ready', pricePerHour: 1.5, launchedAt: at, readyAt: at, lastActiveAt: null, ...extra });

/** Runs the policy over a sequence of (time, waiting) points, threading memory like the autoscaler does. */
function run(points: [number, number | null][], instances: PolicyInstance[] = [], c = cfg, memory: PolicyMemory = EMPTY_MEMORY) {
  let m = memory;
  const out = [];
  for (const [t, w] of points) {
    const r = decide(c, instances, m, sig(w), T0 + t);
    m = r.memory;
    out.push(r.decisions);
  }
  return { out, memory: m };
}

describe('burst policy (pure, injected clock)', () => {
  it('launches only after the queue stayed above the threshold for the whole window', () => {
    const { out } = run([[0, 20], [30_000, 20], [59_999, 20], [60_000, 20]]);
    expect(out.slice(0, 3).flat().some((d) => d.action === 'launch')).toBe(false);
    expect(out[3]).toContainEqual(expect.objectContaining({ action: 'launch', count: 1 }));
  });

  it('a dip to the threshold restarts the window', () => {
    const { out } = run([[0, 20], [40_000, 8], [50_000, 20], [100_000, 20], [110_000, 20]]);
    expect(out[3]!.some((d) => d.action === 'launch')).toBe(false);
    expect(out[4]!.some((d) => d.action === 'launch')).toBe(true);
  });

  it('unknown load (metrics unreachable) never scales up', () => {
    const { out } = run([[0, null], [120_000, null]]);
    expect(out.flat().some((d) => d.action === 'launch')).toBe(false);
  });

  it('respects the scale-up cooldown and maxInstances', () => {
    const first = run([[0, 20], [60_000, 20]]);
    const after = first.memory;
    const inst = [ready('a', T0 + 60_000)];
    const cooling = decide(cfg, inst, { ...after, highSince: T0 + 60_000 }, sig(20), T0 + 150_000);
    expect(cooling.decisions.some((d) => d.action === 'launch')).toBe(false);
    const later = decide(cfg, inst, { ...after, highSince: T0 + 60_000 }, sig(20), T0 + 200_000);
    expect(later.decisions.some((d) => d.action === 'launch')).toBe(true);
    const full = decide(cfg, [inst[0]!, ready('b', T0)], { ...after, highSince: T0 }, sig(20), T0 + 400_000);
    expect(full.decisions.some((d) => d.action === 'launch')).toBe(false);
    expect(full.decisions[0]).toMatchObject({ action: 'hold' });
  });

  it('does not stack launches while one is still starting', () => {
    const starting: PolicyInstance = { ...ready('s', T0), state: 'starting', readyAt: null };
    const r = decide(cfg, [starting], { ...EMPTY_MEMORY, highSince: T0 }, sig(50), T0 + 500_000);
    expect(r.decisions.some((d) => d.action === 'launch')).toBe(false);
  });

  it('terminates after the idle TTL, keeping minInstances', () => {
    const a = ready('a', T0);
    const busy = decide(cfg, [a], EMPTY_MEMORY, sig(0), T0 + 599_999);
    expect(busy.decisions.some((d) => d.action === 'terminate')).toBe(false);
    const idle = decide(cfg, [a], EMPTY_MEMORY, sig(0), T0 + 600_000);
    expect(idle.decisions).toContainEqual(expect.objectContaining({ action: 'terminate', id: 'a' }));
    const touched = decide(cfg, [{ ...a, lastActiveAt: T0 + 300_000 }], EMPTY_MEMORY, sig(0), T0 + 600_000);
    expect(touched.decisions.some((d) => d.action === 'terminate')).toBe(false);
    const keepOne = decide({ ...cfg, minInstances: 1 }, [a], EMPTY_MEMORY, sig(0), T0 + 900_000);
    expect(keepOne.decisions.some((d) => d.action === 'terminate')).toBe(false);
  });

  it('enforces max lifetime even while busy, and a ready timeout for instances that never come up', () => {
    const old = ready('old', T0, { lastActiveAt: T0 + 3_599_000 });
    const r = decide(cfg, [old], EMPTY_MEMORY, sig(3), T0 + 3_600_000);
    expect(r.decisions).toContainEqual(expect.objectContaining({ action: 'terminate', id: 'old' }));
    const stuck: PolicyInstance = { ...ready('stuck', T0), state: 'starting', readyAt: null };
    const s = decide(cfg, [stuck], EMPTY_MEMORY, sig(0), T0 + 900_000);
    expect(s.decisions).toContainEqual(expect.objectContaining({ action: 'terminate', id: 'stuck' }));
  });

  it('refuses a launch over the hourly cap or the monthly budget, and says why', () => {
    const capped = { ...cfg, maxHourlySpend: 2 };
    const r = decide(capped, [ready('a', T0, { lastActiveAt: T0 + 100_000 })], { ...EMPTY_MEMORY, highSince: T0 }, sig(30), T0 + 130_000);
    const refuse = r.decisions.find((d) => d.action === 'refuse');
    expect(refuse).toMatchObject({ budget: 'hourly' });
    expect(refuse && refuse.reason).toMatch(/maxHourlySpend/);
    const monthly = { ...cfg, monthlyBudgetUsd: 100 };
    const m = decide(monthly, [], { ...EMPTY_MEMORY, highSince: T0 }, sig(30, { monthSpentUsd: 99 }), T0 + 60_000);
    expect(m.decisions.find((d) => d.action === 'refuse')).toMatchObject({ budget: 'monthly' });
    const fits = decide(monthly, [], { ...EMPTY_MEMORY, highSince: T0 }, sig(30, { monthSpentUsd: 98 }), T0 + 60_000);
    expect(fits.decisions.some((d) => d.action === 'launch')).toBe(true);
  });

  it('fills up to minInstances without waiting for load, within budget', () => {
    const r = decide({ ...cfg, minInstances: 2, maxHourlySpend: 2 }, [], EMPTY_MEMORY, sig(0), T0);
    expect(r.decisions).toContainEqual(expect.objectContaining({ action: 'launch', count: 1 }));
    expect(r.decisions.some((d) => d.action === 'refuse')).toBe(true);
  });

  it('checkBudget sums active hourly spend', () => {
    expect(checkBudget({ maxHourlySpend: 3 }, 1.5, 0, 1.5).ok).toBe(true);
    expect(checkBudget({ maxHourlySpend: 3 }, 1.6, 0, 1.5).ok).toBe(false);
    expect(checkBudget({}, 100, 1e6, 50).ok).toBe(true);
  });

  it('replaces instances the provider took away at once (no load window, no cooldown), within maxInstances and the budget', () => {
    const memory = { ...EMPTY_MEMORY, lastScaleUpAt: T0 - 1000 };
    const one = decide(cfg, [ready('a', T0 - 600_000)], memory, { ...sig(null), lost: 2 }, T0);
    expect(one.decisions).toContainEqual(expect.objectContaining({ action: 'launch', count: 1, reason: expect.stringMatching(/replacing 1 instance/) }));
    const capped = decide({ ...cfg, maxHourlySpend: 2 }, [ready('a', T0 - 600_000)], memory, { ...sig(null), lost: 1 }, T0);
    expect(capped.decisions.some((d) => d.action === 'launch')).toBe(false);
    expect(capped.decisions).toContainEqual(expect.objectContaining({ action: 'refuse', budget: 'hourly' }));
  });
});
