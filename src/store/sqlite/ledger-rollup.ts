import { addHistogram, addSums } from '../call-sums.js';
import type { LedgerGroupKey } from '../types.js';
import type { Group } from './ledger.js';

/**
 * Merges groups of a finer grouping into a coarser one (its keys a subset), exactly: sums add, distinct
 * turns are a set union and latency histograms add, so percentiles stay exact. The fine groups are not
 * modified: a coarse group shares a fine group's set/histogram until a second group merges into it.
 */
export function rollUp(fine: Group[], fineKeys: LedgerGroupKey[], keys: LedgerGroupKey[]): Group[] {
  const idx = keys.map((k) => fineKeys.indexOf(k));
  const out = new Map<string, { g: Group; owned: boolean }>();
  for (const f of fine) {
    const keyVals = idx.map((i) => f.keys[i] ?? null);
    const id = keyVals.map((v) => (v === null ? '\u0000' : v)).join('\u001f');
    const slot = out.get(id);
    if (!slot) {
      out.set(id, { g: { ...f, keys: keyVals }, owned: false });
      continue;
    }
    const g = slot.g;
    if (!slot.owned) {
      g.turns = new Set(g.turns);
      g.latency = new Map(g.latency);
      slot.owned = true;
    }
    addSums(g, f);
    for (const t of f.turns) g.turns.add(t);
    addHistogram(g.latency, f.latency);
  }
  return [...out.values()].map((s) => s.g);
}
