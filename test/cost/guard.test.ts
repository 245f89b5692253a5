import { afterEach, describe, expect, it } from 'vitest';
import { assertBurstWithinBudget, budgetStatus, createBudgetGuard } from '../../src/cost/guard.js';
import { ExitCode } from '../../src/errors.js';
import type { TurnEvent } from '../../src/pipeline/events.js';
import type { LedgerRow } from '../../src/store/types.js';
import { pipelineFixture, planJson, type PipelineFixture } from '../helpers/pipeline-fixture.js';

let fx: PipelineFixture | undefined;
afterEach(async () => {
  await fx?.close();
  fx = undefined;
});

/** Strategist: 900 in / 120 out at $1/$5 per M = $0.0015 a turn; the Writer is free. */
const TURN_USD = (900 * 1 + 120 * 5) / 1_000_000;

async function setup(cost: Record<string, unknown>, delayMs = 0) {
  const f = await pipelineFixture({ cost });
  f.strategist.setDefault({ kind: 'json', value: planJson(), usage: { prompt_tokens: 900, completion_tokens: 120 }, delayMs });
  f.writer.setDefault({ kind: 'text', chunks: ['The lamp ', 'gutters.'], usage: { prompt_tokens: 1200, completion_tokens: 30 } });
  fx = f;
  return f;
}

const last = (events: TurnEvent[]) => events.at(-1)!;
const chatRequests = (f: PipelineFixture) => f.strategist.requests.filter((r) => r.path.endsWith('/chat/completions')).length;

describe('tier quotas', () => {
  it('lets three turns through on a 3-turn tier and refuses the 4th with exit 8, calling no model and writing nothing', async () => {
    const f = await setup({ tiers: { trial: { turnsPerMonth: 3 } } });
    await f.store.ensureAccount('acme', 'Acme', 'trial');
    const story = await f.store.createStory({ accountId: 'acme', title: 'Quota', premise: 'p' });
    for (let i = 0; i < 3; i++) expect(last(await f.play({ storyId: story.id, action: `step ${i}` })).type).toBe('done');
    const callsBefore = (await f.store.listCalls({ accountId: 'acme' })).length;
    const requestsBefore = chatRequests(f);

    const refused = last(await f.play({ storyId: story.id, action: 'one more' }));
    expect(refused).toMatchObject({ type: 'error', exitCode: ExitCode.budget });
    expect(refused.type === 'error' && refused.message).toMatch(/trial tier quota: 3 of 3 turns/);
    expect(await f.store.countTurns(story.id)).toBe(3);
    expect((await f.store.listCalls({ accountId: 'acme' })).length).toBe(callsBefore);
    expect(chatRequests(f)).toBe(requestsBefore);

    const status = await budgetStatus(f.store, f.loaded.config, 'acme');
    expect(status.level).toBe('hard');
    expect(status.items).toEqual([expect.objectContaining({ kind: 'quota', used: 3, hard: 3 })]);
  });

  it('two turns racing for the last unit of a quota: exactly one lands, the other fails with exit 8 and writes no turn', async () => {
    // The Strategist answers slowly so both turns pass the guard before either commits.
    const f = await setup({ tiers: { trial: { turnsPerMonth: 3 } } }, 150);
    await f.store.ensureAccount('acme', 'Acme', 'trial');
    const a = await f.store.createStory({ accountId: 'acme', title: 'A', premise: 'p' });
    const b = await f.store.createStory({ accountId: 'acme', title: 'B', premise: 'p' });
    expect(last(await f.play({ storyId: a.id, action: 'first' })).type).toBe('done');
    expect(last(await f.play({ storyId: b.id, action: 'second' })).type).toBe('done');

    const [ra, rb] = await Promise.all([f.play({ storyId: a.id, action: 'race a' }), f.play({ storyId: b.id, action: 'race b' })]);
    const outcomes = [last(ra), last(rb)];
    expect(outcomes.filter((e) => e.type === 'done')).toHaveLength(1);
    const loser = outcomes.find((e) => e.type === 'error');
    expect(loser).toMatchObject({ exitCode: ExitCode.budget });
    expect((await f.store.countTurns(a.id)) + (await f.store.countTurns(b.id))).toBe(3);
    // Both raced turns really called the models; the loser's paid calls stay in the ledger without a turn.
    const orphans = (await f.store.listCalls({ accountId: 'acme' })).filter((c) => c.turnId === null);
    expect(orphans.map((c) => c.agent).sort()).toEqual(['strategist', 'writer']);
  });

  it('does not hold the built-in local account to a tier quota', async () => {
    const f = await setup({ tiers: { free: { turnsPerMonth: 1 } } });
    const story = await f.store.createStory({ title: 'Local', premise: 'p' });
    for (let i = 0; i < 2; i++) expect(last(await f.play({ storyId: story.id, action: `go ${i}` })).type).toBe('done');
    expect(await f.store.countTurns(story.id)).toBe(2);
  });
});

describe('USD budgets', () => {
  it('passes under the limit, refuses at commit the turn that would cross it, then refuses up front once reached', async () => {
    const hard = TURN_USD * 1.5;
    const f = await setup({ budgets: { accounts: { acme: { period: 'day', softUsd: TURN_USD / 2, hardUsd: hard } } } });
    await f.store.ensureAccount('acme');
    const story = await f.store.createStory({ accountId: 'acme', title: 'Budget', premise: 'p' });

    const first = await f.play({ storyId: story.id, action: 'first' });
    expect(last(first).type).toBe('done');
    expect(first.filter((e) => e.type === 'warning')).toEqual([]);
    const soft = await budgetStatus(f.store, f.loaded.config, 'acme');
    expect(soft.level).toBe('soft');
    expect(soft.messages[0]).toMatch(/account acme budget/);
    expect(soft.items[0]!.used).toBeCloseTo(TURN_USD, 12);

    // Spent 1 turn of 1.5: the guard lets the 2nd start (warning: the soft limit is passed), the commit sees
    // 2 turns' spend > 1.5 and refuses.
    const second = await f.play({ storyId: story.id, action: 'second' });
    expect(second.filter((e) => e.type === 'warning')).toEqual([{ type: 'warning', message: expect.stringMatching(/^account acme budget: \$[\d.]+ spent today, soft limit \$[\d.]+$/) }]);
    const crossing = last(second);
    expect(crossing).toMatchObject({ type: 'error', exitCode: ExitCode.budget });
    // Refused at commit, it names the limit and gives the same precise hint as a refusal before the turn.
    expect(crossing).toMatchObject({
      message: expect.stringMatching(/^turn refused: account acme budget: \$[\d.]+ a day \(this turn would bring the period's spend to \$[\d.]+\)$/),
      hint: expect.stringMatching(/^the budget resets on \d{4}-\d\d-\d\d 00:00 UTC; raise cost\.budgets\.accounts\.acme\.hardUsd/),
    });
    expect(await f.store.countTurns(story.id)).toBe(1);
    const spent = (await f.store.listCalls({ accountId: 'acme' })).reduce((s, c) => s + (c.costUsd ?? 0), 0);
    expect(spent).toBeCloseTo(2 * TURN_USD, 12);

    const requests = chatRequests(f);
    const upFront = last(await f.play({ storyId: story.id, action: 'third' }));
    expect(upFront).toMatchObject({ type: 'error', exitCode: ExitCode.budget });
    expect(upFront.type === 'error' && upFront.hint).toMatch(/hardUsd/);
    expect(chatRequests(f)).toBe(requests);
    expect((await budgetStatus(f.store, f.loaded.config, 'acme')).level).toBe('hard');
  });

  it('a global hard budget returns a global limit from the guard and blocks burst launches once reached', async () => {
    const f = await setup({ budgets: { global: { period: 'month', hardUsd: 5 } } });
    // No caching of the global spend here: the test changes it between calls.
    const guard = createBudgetGuard(f.store, f.loaded.config, { globalTtlMs: 0 });
    const story = await f.store.createStory({ title: 'g', premise: 'p' });
    const { limits, warnings } = await guard(story);
    expect(limits).toEqual([expect.objectContaining({ scope: 'global', maxCostUsd: 5 })]);
    expect(warnings).toEqual([]);
    expect(Date.parse(limits[0]!.since)).toBeLessThanOrEqual(Date.now());
    expect((await assertBurstWithinBudget(f.store, f.loaded.config)).level).toBe('ok');

    const burstRow: LedgerRow = {
      accountId: 'local', storyId: null, turnId: null, agent: 'burst', provider: 'runpod', model: 'A100', inputTokens: 0, outputTokens: 0,
      cachedTokens: 0, estimated: false, latencyMs: 3_600_000, ttftMs: null, outcome: 'ok', costUsd: 5.25, priceInPerMTok: null, priceOutPerMTok: null,
    };
    await f.store.recordCalls([burstRow]);
    await expect(assertBurstWithinBudget(f.store, f.loaded.config)).rejects.toMatchObject({ exitCode: ExitCode.budget });
    await expect(guard(story)).rejects.toThrow(/global budget: \$5\.25\d* spent this month/);
  });
});
