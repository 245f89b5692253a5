/** The additive part of a ledger aggregate: ledger-scan groups and roll-up cells add these the same way. */
export interface CallSums {
  calls: number;
  input: number;
  output: number;
  cached: number;
  cost: number;
  unpriced: number;
  estimated: number;
  failed: number;
  fallback: number;
}

export const zeroSums = (): CallSums => ({ calls: 0, input: 0, output: 0, cached: 0, cost: 0, unpriced: 0, estimated: 0, failed: 0, fallback: 0 });

export function addSums(into: CallSums, from: CallSums): void {
  into.calls += from.calls;
  into.input += from.input;
  into.output += from.output;
  into.cached += from.cached;
  into.cost += from.cost;
  into.unpriced += from.unpriced;
  into.estimated += from.estimated;
  into.failed += from.failed;
  into.fallback += from.fallback;
}

/** Adds a (latency bucket → count) histogram into another. */
export function addHistogram(into: Map<number, number>, from: Map<number, number>): void {
  for (const [b, n] of from) into.set(b, (into.get(b) ?? 0) + n);
}
