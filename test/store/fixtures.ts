import type { LedgerRow, Store, Turn, TurnCommit } from '../../src/store/types.js';

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
