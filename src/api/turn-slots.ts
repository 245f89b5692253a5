/**
 * Turn slots for `luna api`: at most `size` turns run on the models at once; the rest wait, higher tier
 * priority first and first-come within a priority (the seed's "request prioritization"). A waiter whose client
 * leaves is dropped from the line without taking a slot.
 */
export interface SlotWaiter {
  priority: number;
  seq: number;
  grant: () => void;
  tier: string;
}

export function createTurnSlots(size: number) {
  let busy = 0;
  let seq = 0;
  const line: SlotWaiter[] = [];

  const next = () => {
    while (busy < size && line.length) {
      line.sort((a, b) => b.priority - a.priority || a.seq - b.seq);
      const w = line.shift()!;
      busy++;
      w.grant();
    }
  };

  return {
    get running(): number {
      return busy;
    },
    get waiting(): number {
      return line.length;
    },
    /** Waiting turns per tier (for the metrics). */
    waitingByTier(): Map<string, number> {
      const m = new Map<string, number>();
      for (const w of line) m.set(w.tier, (m.get(w.tier) ?? 0) + 1);
      return m;
    },
    /** Resolves with a release function once a slot is free; rejects with the signal's reason if it aborts first. */
    acquire(tier: string, priority: number, signal: AbortSignal): Promise<() => void> {
      return new Promise((resolve, reject) => {
        let released = false;
        const release = () => {
          if (released) return;
          released = true;
          busy--;
          next();
        };
        const waiter: SlotWaiter = {
          tier,
          priority,
          seq: seq++,
          grant: () => {
            signal.removeEventListener('abort', onAbort);
            resolve(release);
          },
        };
        const onAbort = () => {
          const i = line.indexOf(waiter);
          if (i >= 0) line.splice(i, 1);
          reject(signal.reason ?? new Error('aborted'));
        };
        if (signal.aborted) return onAbort();
        signal.addEventListener('abort', onAbort, { once: true });
        line.push(waiter);
        next();
      });
    },
  };
}

export type TurnSlots = ReturnType<typeof createTurnSlots>;
