import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { readFileSync } from 'node:fs';
import { loadConfig } from '../../src/config/load.js';
import { buildProjection } from '../../src/cost/projection.js';
import { loadPriceTable } from '../../src/models/pricing.js';
import { combineEndpointSources } from '../../src/models/endpoints.js';
import { drainJobs } from '../../src/pipeline/dreamer.js';
import { runTurn } from '../../src/pipeline/run-turn.js';
import { createSession } from '../../src/runtime/session.js';
import type { LedgerRow } from '../../src/store/types.js';
import { luna } from '../helpers/cli.js';
import { pipelineFixture, planJson, type PipelineFixture } from '../helpers/pipeline-fixture.js';

let fx: PipelineFixture | undefined;
afterEach(async () => {
  await fx?.close();
  fx = undefined;
});

async function setup() {
  const f = await pipelineFixture();
  f.strategist.setDefault({ kind: 'json', value: planJson(), usage: { prompt_tokens: 900, completion_tokens: 120 } });
  f.writer.setDefault({ kind: 'text', chunks: ['The lamp ', 'gutters.'], usage: { prompt_tokens: 1200, completion_tokens: 30 } });
  fx = f;
  return f;
}

describe('costs of real pipeline runs', () => {
  it('a price change applies to new calls only; the per-turn view splits each turn across the agents', async () => {
    const f = await setup();
    const story = await f.store.createStory({ title: 'Prices', premise: 'A keeper named Maren.' });
    for (const action of ['light the lamp', 'watch the sea']) {
      const events = await f.play({ storyId: story.id, action });
      expect(events.at(-1)?.type).toBe('done');
    }

    // New prices: the Strategist doubles, the Writer/Dreamer model starts costing money.
    const cfg = parse(readFileSync(f.configFile, 'utf8'));
    cfg.models.planner.price = { inputPerMTok: 2, outputPerMTok: 10 };
    cfg.models.scribe.price = { inputPerMTok: 0.5, outputPerMTok: 1.5 };
    const file2 = path.join(f.home, 'repriced.yaml');
    writeFileSync(file2, stringify(cfg));
    const loaded2 = loadConfig({ home: f.home, configFile: file2, env: {} });
    const session2 = await createSession(f.store, loaded2, { endpoints: combineEndpointSources([]) });
    try {
      const events: string[] = [];
      for await (const e of runTurn({ storyId: story.id, action: 'open the door' }, session2.deps)) events.push(e.type);
      expect(events.at(-1)).toBe('done');
      await drainJobs(session2.deps, { workerId: 'cost-test' });
    } finally {
      await session2.close();
    }

    const calls = (await f.store.listCalls({ storyId: story.id })).reverse();
    const strat = calls.filter((c) => c.agent === 'strategist');
    expect(strat).toHaveLength(3);
    expect(strat.map((c) => c.priceInPerMTok)).toEqual([1, 1, 2]);
    expect(strat[0]!.costUsd).toBeCloseTo((900 * 1 + 120 * 5) / 1e6, 12);
    expect(strat[2]!.costUsd).toBeCloseTo((900 * 2 + 120 * 10) / 1e6, 12);
    const dreamer = calls.filter((c) => c.agent === 'dreamer');
    expect(dreamer.length).toBeGreaterThan(0);

    const res = await luna(['--json', '--config', f.configFile, 'cost', 'report', '--story', story.id, '--by', 'turn'], { home: f.home });
    expect(res.stderr).toBe('');
    const view = JSON.parse(res.stdout);
    const turns = (await f.store.getBranch(story.id, (await f.store.getStory(story.id))!.headTurnId)).map((t) => t.id);
    expect(view.turns.map((t: any) => t.turnId)).toEqual(turns);
    for (const t of view.turns) {
      const mine = calls.filter((c) => c.turnId === t.turnId);
      for (const agent of ['preprocessor', 'strategist', 'writer', 'dreamer'] as const) {
        expect(t.byAgent[agent], `${t.depth} ${agent}`).toBeCloseTo(sumCost(mine.filter((c) => c.agent === agent)), 12);
      }
      expect(t.totalUsd).toBeCloseTo(sumCost(mine), 12);
    }
    expect(view.total.totalUsd).toBeCloseTo(sumCost(calls), 12);
    expect(view.turns[2].byAgent.writer).toBeGreaterThan(0);
    expect(view.turns[0].byAgent.writer).toBe(0);

    // The table names the agents as columns.
    const table = await luna(['--config', f.configFile, 'cost', 'report', '--story', story.id, '--by', 'turn'], { home: f.home });
    expect(table.exitCode).toBe(0);
    expect(table.stdout).toMatch(/preprocessor.*strategist.*writer.*dreamer.*total/);
    expect(table.stdout).toContain('light the lamp');
  });

  it('projects monthly cost from the ledger mix and reprices the Strategist at every priced model', async () => {
    const f = await setup();
    const story = await f.store.createStory({ title: 'Projection', premise: 'p' });
    for (const action of ['one', 'two', 'three']) expect((await f.play({ storyId: story.id, action })).at(-1)?.type).toBe('done');
    const prices = loadPriceTable(f.loaded.config);
    const p = await buildProjection(f.store, f.loaded.config, prices, { volumes: [10_000, 1_000_000] });
    const calls = await f.store.listCalls({});
    expect(p.basis).toBe('ledger');
    expect(p.turnsInWindow).toBe(3);
    expect(p.costPerTurnUsd).toBeCloseTo(sumCost(calls) / 3, 12);
    expect(p.volumes.map((v) => v.turnsPerMonth)).toEqual([Math.round((3 / 7) * 30.44), 10_000, 1_000_000]);
    expect(p.volumes[2]!.costUsd).toBeCloseTo((sumCost(calls) / 3) * 1_000_000, 4);

    const strat = calls.filter((c) => c.agent === 'strategist');
    const inPerTurn = Math.round(strat.reduce((s, c) => s + c.inputTokens, 0) / 3);
    const outPerTurn = Math.round(strat.reduce((s, c) => s + c.outputTokens, 0) / 3);
    const alt = p.alternatives.find((a) => a.agent === 'strategist')!;
    const lite = alt.options.find((o) => o.model === 'gemini-2.5-flash-lite')!;
    expect(lite.costPerTurnUsd).toBeCloseTo((inPerTurn * 0.1 + outPerTurn * 0.4) / 1e6, 12);
    const current = p.agents.find((a) => a.agent === 'strategist')!.costPerTurnUsd;
    expect(lite.deltaUsdPerMonth[2]).toBeCloseTo((lite.costPerTurnUsd - current) * 1_000_000, 4);
    const costs = alt.options.map((o) => o.costPerTurnUsd);
    expect(costs).toEqual([...costs].sort((a, b) => a - b));
  });

  it('falls back to config-based estimates when the ledger is empty', async () => {
    const f = await setup();
    const prices = loadPriceTable(f.loaded.config);
    const p = await buildProjection(f.store, f.loaded.config, prices);
    expect(p.basis).toBe('config');
    const strat = p.agents.find((a) => a.agent === 'strategist')!;
    // The planner model is priced $1/$5 in the fixture config.
    expect(strat.costPerTurnUsd).toBeCloseTo((strat.inputTokensPerTurn * 1 + strat.outputTokensPerTurn * 5) / 1e6, 12);
    expect(strat.inputTokensPerTurn).toBeGreaterThan(f.loaded.config.context.strategistBudgetTokens);
    expect(p.volumes.map((v) => v.turnsPerMonth)).toEqual([10_000, 100_000, 1_000_000]);
  });
});

function sumCost(rows: LedgerRow[]): number {
  return rows.reduce((s, r) => s + (r.costUsd ?? 0), 0);
}
