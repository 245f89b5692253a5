import type { LedgerFilter, LedgerGroupKey, LedgerRow, Store, Turn, TurnCommit } from '../../src/store/types.js';

/** Deterministic PRNG so generated ledgers and vectors are reproducible across runs and stores. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function pick<T>(r: () => number, list: readonly T[]): T {
  return list[Math.floor(r() * list.length)]!;
}

export function ledgerRow(over: Partial<LedgerRow> = {}): Omit<LedgerRow, 'turnId' | 'storyId' | 'accountId'> {
  return {
    agent: 'writer', provider: 'local', model: 'demo', inputTokens: 100, outputTokens: 50, cachedTokens: 0, estimated: false,
    latencyMs: 120, ttftMs: 30, outcome: 'ok', costUsd: 0.001, priceInPerMTok: 1, priceOutPerMTok: 2, ...over,
  };
}

/** Commits a turn on top of the story's current head (or `parentId`), with nothing else attached unless given. */
export async function addTurn(store: Store, storyId: string, action: string, prose: string, over: Partial<TurnCommit> = {}): Promise<Turn> {
  const story = await store.getStory(storyId);
  if (!story) throw new Error(`no story ${storyId}`);
  return store.commitTurn({
    storyId, expectedHeadId: story.headTurnId, parentId: story.headTurnId, action, prose, plan: null,
    entities: [], facts: [], ledger: [], jobs: [], ...over,
  });
}

export async function chain(store: Store, storyId: string, n: number, label = 'turn'): Promise<Turn[]> {
  const out: Turn[] = [];
  for (let i = 1; i <= n; i++) out.push(await addTurn(store, storyId, `${label} ${i} action`, `${label} ${i} prose.`));
  return out;
}

export function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) { dot += a[i]! * b[i]!; na += a[i]! ** 2; nb += b[i]! ** 2; }
  return dot / Math.sqrt(na * nb);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Turns of 1–6 calls by mixed agents and models; a third get a Dreamer call up to two days later. */
export function turnsLedger(turns: number, seed: number): LedgerRow[] {
  const r = rng(seed);
  const start = Date.parse('2026-10-29T00:00:00.000Z');
  const rows: LedgerRow[] = [];
  for (let t = 0; t < turns; t++) {
    const at = start + Math.floor(r() * 6 * 86_400_000);
    const accountId = pick(r, ['local', 'acme', 'zeta']);
    const calls = 1 + Math.floor(r() * 5);
    for (let c = 0; c <= calls; c++) {
      const late = c === calls;
      if (late && r() > 0.33) break;
      rows.push({
        accountId, storyId: `s${t % 7}`, turnId: r() < 0.05 ? null : `t${t}`,
        agent: late ? 'dreamer' : pick(r, ['preprocessor', 'strategist', 'writer'] as const),
        provider: pick(r, ['local', 'anthropic']), model: pick(r, ['demo', 'haiku', 'flash']),
        inputTokens: Math.floor(r() * 3000), outputTokens: Math.floor(r() * 400), cachedTokens: Math.floor(r() * 50),
        estimated: r() < 0.1, latencyMs: Math.floor(r() * 8000), ttftMs: null, outcome: pick(r, ['ok', 'ok', 'failed', 'fallback'] as const),
        costUsd: r() < 0.1 ? null : r() * 0.003, priceInPerMTok: 1, priceOutPerMTok: 5,
        createdAt: new Date(at + c * 1000 + (late ? Math.floor(r() * 2 * 86_400_000) : 0)).toISOString(),
      });
    }
  }
  return rows;
}

/** The roll-up's cell dimensions, and filters that hit each of its plans (see src/store/daily/read.ts). */
export const DAILY_KEYS: LedgerGroupKey[] = ['agent', 'provider', 'model', 'account', 'day', 'month'];
export const DAILY_FILTERS: LedgerFilter[] = [
  {},
  { since: '2026-11-01T00:00:00.000Z' },
  { until: '2026-11-01T00:00:00.000Z' },
  { since: '2026-10-30T00:00:00.000Z', until: '2026-11-02T00:00:00.000Z', accountId: 'acme' },
  { since: '2026-11-02T00:00:00.000Z', until: '2026-11-03T00:00:00.000Z', agent: 'dreamer' },
  { agent: 'writer', accountId: 'zeta' },
];
