import path from 'node:path';
import type { AgentName, LunaConfig } from '../config/schema.js';
import { AGENTS } from '../config/schema.js';
import { priceCall, type Price, type PriceTable } from '../models/pricing.js';
import type { LedgerFilter, Store } from '../store/types.js';
import { DAYS_PER_MONTH } from './period.js';
import { roundUsd } from './report.js';

export const DEFAULT_VOLUMES = [10_000, 100_000, 1_000_000];

/** What one turn costs an agent: tokens and USD per committed turn, over the models it used. */
export interface AgentMix {
  agent: AgentName;
  models: string[];
  callsPerTurn: number;
  inputTokensPerTurn: number;
  outputTokensPerTurn: number;
  cachedTokensPerTurn: number;
  costPerTurnUsd: number;
  unpricedCalls: number;
}

export interface Alternative {
  /** Price-table key, or `self-hosted` (cost.selfHosted amortisation). */
  model: string;
  current: boolean;
  costPerTurnUsd: number;
  /** Monthly difference against the current mix at each volume (negative saves money). */
  deltaUsdPerMonth: number[];
}

export interface Projection {
  basis: 'ledger' | 'config';
  window: { since: string; until: string; days: number };
  turnsInWindow: number;
  recentTurnsPerMonth: number;
  costPerTurnUsd: number;
  agents: AgentMix[];
  /** The recent rate first (when there is one), then the requested volumes. */
  volumes: { label: string; turnsPerMonth: number; costUsd: number; byAgent: Record<string, number> }[];
  /** Per agent: the observed per-turn tokens repriced at every priced model. */
  alternatives: { agent: AgentName; options: Alternative[] }[];
  /** Burst instance-hours are not per turn: shown as a monthly figure at the window's rate. */
  burstUsdPerMonth: number;
  notes: string[];
}

const r6 = (v: number) => Math.round(v * 1e6) / 1e6;

export async function buildProjection(
  store: Store, config: LunaConfig, prices: PriceTable,
  opts: { volumes?: number[]; windowDays?: number; accountId?: string; now?: Date } = {},
): Promise<Projection> {
  const now = opts.now ?? new Date();
  const days = opts.windowDays ?? 7;
  const volumes = opts.volumes ?? DEFAULT_VOLUMES;
  const since = new Date(now.getTime() - days * 86_400_000).toISOString();
  const filter: LedgerFilter = { since, until: now.toISOString(), ...(opts.accountId ? { accountId: opts.accountId } : {}) };
  const [[total], rows] = await Promise.all([store.aggregateCalls([], filter), store.aggregateCalls(['agent', 'model'], filter)]);
  const turns = total?.turns ?? 0;
  const notes: string[] = [];
  const burstUsd = rows.filter((r) => r.keys.agent === 'burst').reduce((s, r) => s + r.costUsd, 0);
  let agents: AgentMix[];
  let basis: Projection['basis'] = 'ledger';
  if (turns > 0) {
    agents = AGENTS.map((agent) => {
      const mine = rows.filter((r) => r.keys.agent === agent);
      const sum = (f: (r: (typeof mine)[number]) => number) => mine.reduce((s, r) => s + f(r), 0) / turns;
      return {
        agent, models: mine.map((r) => r.keys.model ?? '?'), callsPerTurn: r6(sum((r) => r.calls)),
        inputTokensPerTurn: Math.round(sum((r) => r.inputTokens)), outputTokensPerTurn: Math.round(sum((r) => r.outputTokens)),
        cachedTokensPerTurn: Math.round(sum((r) => r.cachedTokens)), costPerTurnUsd: roundUsd(sum((r) => r.costUsd)),
        unpricedCalls: mine.reduce((s, r) => s + r.unpricedCalls, 0),
      };
    });
    const unpriced = agents.reduce((s, a) => s + a.unpricedCalls, 0);
    if (unpriced) notes.push(`${unpriced} call(s) in the window had no price: the projection leaves them out`);
  } else {
    basis = 'config';
    agents = estimateFromConfig(config, prices);
    notes.push(`no turns in the last ${days} day(s): tokens per turn are estimates from the config (context budgets, maxTokens), priced from the price table`);
  }
  const costPerTurn = roundUsd(agents.reduce((s, a) => s + a.costPerTurnUsd, 0));
  const recent = (turns / days) * DAYS_PER_MONTH;
  const monthly = (label: string, n: number) => ({
    label, turnsPerMonth: Math.round(n), costUsd: r6(n * costPerTurn),
    byAgent: Object.fromEntries(agents.map((a) => [a.agent, r6(n * a.costPerTurnUsd)])),
  });
  const vols = [...(turns > 0 ? [monthly(`recent rate (last ${days}d)`, recent)] : []), ...volumes.map((v) => monthly(`${v.toLocaleString('en-US')} turns`, v))];
  const alternatives = agents
    .filter((a) => a.inputTokensPerTurn + a.outputTokensPerTurn > 0)
    .map((a) => ({ agent: a.agent, options: alternativesFor(a, prices, vols.map((v) => v.turnsPerMonth)) }));
  return {
    basis, window: { since, until: filter.until!, days }, turnsInWindow: turns, recentTurnsPerMonth: Math.round(recent), costPerTurnUsd: costPerTurn,
    agents, volumes: vols, alternatives, burstUsdPerMonth: r6((burstUsd / days) * DAYS_PER_MONTH), notes,
  };
}

function costAt(p: Price, a: Pick<AgentMix, 'inputTokensPerTurn' | 'outputTokensPerTurn' | 'cachedTokensPerTurn'>): number {
  const cached = Math.min(a.cachedTokensPerTurn, a.inputTokensPerTurn);
  return roundUsd(((a.inputTokensPerTurn - cached) * p.inputPerMTok + cached * (p.cachedInputPerMTok ?? p.inputPerMTok) + a.outputTokensPerTurn * p.outputPerMTok) / 1_000_000);
}

/** Reprices the agent's observed tokens at every priced model (and self-hosting when it has a cost). */
export function alternativesFor(a: AgentMix, prices: PriceTable, volumes: number[]): Alternative[] {
  const current = new Set(a.models.map((m) => prices.lookup(m)?.key ?? m));
  const options: Alternative[] = Object.entries(prices.entries()).map(([model, p]) => {
    const perTurn = costAt(p, a);
    return { model, current: current.has(model), costPerTurnUsd: perTurn, deltaUsdPerMonth: volumes.map((v) => r6((perTurn - a.costPerTurnUsd) * v)) };
  });
  const { gpuHourUsd, tokensPerGpuHour } = prices.selfHosted;
  if (gpuHourUsd > 0) {
    const perM = (gpuHourUsd / tokensPerGpuHour) * 1_000_000;
    const perTurn = costAt({ inputPerMTok: perM, outputPerMTok: perM }, a);
    options.push({ model: 'self-hosted', current: false, costPerTurnUsd: perTurn, deltaUsdPerMonth: volumes.map((v) => r6((perTurn - a.costPerTurnUsd) * v)) });
  }
  return options.sort((x, y) => x.costPerTurnUsd - y.costPerTurnUsd || x.model.localeCompare(y.model));
}

/**
 * Tokens per turn when the ledger has nothing to go on: the prompts are about the curated context budget
 * plus instructions, the outputs about maxTokens. Dreamer work is spread over the turns it enriches.
 */
export function estimateFromConfig(config: LunaConfig, prices: PriceTable): AgentMix[] {
  const ctx = config.context;
  const ag = config.agents;
  const guess: Record<AgentName, { calls: number; input: number; output: number }> = {
    preprocessor: { calls: ag.preprocessor.embeddingModel ? 1 : 0, input: ag.preprocessor.embeddingModel ? 40 : 0, output: 0 },
    strategist: { calls: 1, input: ctx.strategistBudgetTokens + 350, output: ag.strategist.maxTokens ?? 300 },
    writer: { calls: 1, input: ctx.budgetTokens + 500, output: ag.writer.maxTokens ?? 450 },
    dreamer: {
      calls: 1 + 1 / ag.dreamer.arcEvery,
      input: 900 + ctx.budgetTokens / ag.dreamer.arcEvery,
      output: (ag.dreamer.maxTokens ?? 200) + 300 / ag.dreamer.arcEvery,
    },
  };
  return AGENTS.map((agent) => {
    const g = guess[agent];
    const modelName = agent === 'preprocessor' && ag.preprocessor.embeddingModel ? ag.preprocessor.embeddingModel : ag[agent].model;
    const m = config.models[modelName];
    const modelId = !m ? modelName : m.provider === 'local' ? path.basename(m.path) : m.model;
    const usage = { inputTokens: Math.round(g.input), outputTokens: Math.round(g.output), cachedTokens: 0 };
    const priced = g.calls === 0 ? { costUsd: 0 } : priceCall(prices, { modelName, modelConfig: m, modelId, usage });
    return {
      agent, models: g.calls ? [modelId] : [], callsPerTurn: r6(g.calls), inputTokensPerTurn: usage.inputTokens, outputTokensPerTurn: usage.outputTokens,
      cachedTokensPerTurn: 0, costPerTurnUsd: roundUsd(priced.costUsd ?? 0), unpricedCalls: priced.costUsd === null ? 1 : 0,
    };
  });
}
