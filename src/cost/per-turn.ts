import { UsageError } from '../errors.js';
import type { LedgerFilter, Store } from '../store/types.js';
import { roundUsd } from './report.js';

export const TURN_AGENTS = ['preprocessor', 'strategist', 'writer', 'dreamer'] as const;
type TurnAgent = (typeof TURN_AGENTS)[number];

export interface TurnCostRow {
  /** null: calls that belong to no committed turn (failed or cancelled turns). */
  turnId: string | null;
  depth: number | null;
  action: string | null;
  createdAt: string | null;
  byAgent: Record<TurnAgent, number>;
  /** Any other agent (rare); kept so the row total is the true total. */
  otherUsd: number;
  totalUsd: number;
  calls: number;
  unpricedCalls: number;
  estimatedCalls: number;
}

export interface TurnCostReport {
  storyId: string;
  turns: TurnCostRow[];
  total: TurnCostRow;
}

/** Each turn's cost split across the four agents (Dreamer calls count toward the turn they enriched). */
export async function buildTurnReport(store: Store, filter: LedgerFilter): Promise<TurnCostReport> {
  if (!filter.storyId) throw new UsageError('--by turn needs --story ID', { hint: 'luna cost report --story <id> --by turn' });
  const story = await store.getStory(filter.storyId);
  if (!story) throw new UsageError(`no story with id ${filter.storyId}`, { hint: 'list stories with `luna story list`' });
  const storyFilter = { ...filter, storyId: story.id };
  const agg = await store.aggregateCalls(['turn', 'agent'], storyFilter);
  const rows = new Map<string | null, TurnCostRow>();
  const blank = (turnId: string | null): TurnCostRow => ({
    turnId, depth: null, action: null, createdAt: null, byAgent: { preprocessor: 0, strategist: 0, writer: 0, dreamer: 0 },
    otherUsd: 0, totalUsd: 0, calls: 0, unpricedCalls: 0, estimatedCalls: 0,
  });
  const total = blank(null);
  for (const r of agg) {
    const id = r.keys.turn ?? null;
    let row = rows.get(id);
    if (!row) rows.set(id, (row = blank(id)));
    for (const target of [row, total]) {
      const agent = r.keys.agent as TurnAgent;
      if ((TURN_AGENTS as readonly string[]).includes(agent)) target.byAgent[agent] += r.costUsd;
      else target.otherUsd += r.costUsd;
      target.totalUsd += r.costUsd;
      target.calls += r.calls;
      target.unpricedCalls += r.unpricedCalls;
      target.estimatedCalls += r.estimatedCalls;
    }
  }
  const turns = await Promise.all([...rows.values()].map(async (row) => {
    if (row.turnId) {
      const t = await store.getTurn(row.turnId);
      if (t) Object.assign(row, { depth: t.depth, action: t.action, createdAt: t.createdAt });
    }
    return tidy(row);
  }));
  // Turn order: creation time; calls without a turn last.
  turns.sort((a, b) => (a.turnId === null ? 1 : b.turnId === null ? -1 : (a.createdAt ?? '').localeCompare(b.createdAt ?? '')));
  return { storyId: story.id, turns, total: tidy(total) };
}

function tidy(r: TurnCostRow): TurnCostRow {
  for (const a of TURN_AGENTS) r.byAgent[a] = roundUsd(r.byAgent[a]);
  r.otherUsd = roundUsd(r.otherUsd);
  r.totalUsd = roundUsd(r.totalUsd);
  return r;
}
