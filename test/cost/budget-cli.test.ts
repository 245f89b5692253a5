import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { openStore } from '../../src/store/open.js';
import { luna, tempHome } from '../helpers/cli.js';
import { startOpenAIServer, type LoopbackServer } from '../helpers/openai-server.js';
import { planJson } from '../helpers/pipeline-fixture.js';

let home: string;
let server: LoopbackServer;

beforeAll(async () => {
  home = tempHome('luna-cost-budget-');
  server = await startOpenAIServer();
  server.setDefault({ kind: 'text', chunks: ['The tide ', 'turns.'], usage: { prompt_tokens: 500, completion_tokens: 20 } });
  writeFileSync(path.join(home, 'luna.yaml'), stringify({
    // No price anywhere for this model id: its calls are recorded unpriced.
    models: { cloudy: { provider: 'openai-compatible', baseUrl: server.baseUrl, model: 'gpt-unknown-9', maxRetries: 0 } },
    agents: { preprocessor: { model: 'cloudy' }, strategist: { model: 'cloudy' }, writer: { model: 'cloudy' }, dreamer: { model: 'cloudy', inProcess: false } },
    cost: { budgets: { accounts: { acme: { period: 'month', softUsd: 0.001, hardUsd: 1 }, acmee: { hardUsd: 5 } } } },
  }));
  const store = await openStore({ poolSize: 1 }, home, { autoMigrateSqlite: true });
  await store.ensureAccount('acme', 'Acme', 'creator');
  await store.ensureAccount('legacy', 'Legacy', 'gold'); // a tier the config does not define
  await store.close();
}, 240_000);
afterAll(async () => {
  await server.close();
});

async function storyFor(account: string): Promise<string> {
  const created = await luna(['story', 'new', '--title', `T ${account}`, '--premise', 'p', '--account', account, '--json'], { home });
  expect(created.exitCode, created.stderr).toBe(0);
  return JSON.parse(created.stdout).id as string;
}

describe('budgets that cannot count everything say so', () => {
  it('a turn with unpriced calls under a USD budget warns, and cost budget counts them per budget', async () => {
    const id = await storyFor('acme');
    server.script({ kind: 'json', value: planJson(), usage: { prompt_tokens: 300, completion_tokens: 60 } });
    const turn = await luna(['turn', id, 'walk'], { home });
    expect(turn.exitCode, turn.stderr).toBe(0);
    expect(turn.stderr).toMatch(/^· warning: no price for gpt-unknown-9: this turn's calls to it are not counted against the USD budget/m);

    const budget = await luna(['cost', 'budget'], { home });
    expect(budget.exitCode, budget.stderr).toBe(0);
    expect(budget.stdout).toMatch(/account acme budget\s+│\s+acme\s+│\s+month/);
    expect(budget.stdout).toContain('! account acme budget: 2 call(s) this month had no price and are not counted');
    // A budget under an id no account has is most likely a typo.
    expect(budget.stdout).toContain('! cost.budgets.accounts.acmee: no account "acmee", so this budget applies to nothing');
    const json = JSON.parse((await luna(['cost', 'budget', '--account', 'acme', '--json'], { home })).stdout);
    expect(json.items).toContainEqual(expect.objectContaining({ name: 'account acme budget', unpricedCalls: 2, used: 0 }));
  });

  it('an account on a tier cost.tiers does not define gets a note and a warning per turn, until it moves tier', async () => {
    const id = await storyFor('legacy');
    const budget = await luna(['cost', 'budget', '--account', 'legacy'], { home });
    expect(budget.stdout).toContain('account legacy is on tier "gold", which cost.tiers does not define: no turn quota applies');
    server.script({ kind: 'json', value: planJson() });
    const turn = await luna(['turn', id, 'look'], { home });
    expect(turn.exitCode, turn.stderr).toBe(0);
    expect(turn.stderr).toContain('· warning: account legacy is on tier "gold"');

    const moved = await luna(['account', 'tier', 'legacy', 'free'], { home });
    expect(moved.exitCode, moved.stderr).toBe(0);
    expect(moved.stdout).toContain('account legacy: tier gold → free');
    const after = JSON.parse((await luna(['cost', 'budget', '--account', 'legacy', '--json'], { home })).stdout);
    expect(after.items).toEqual([expect.objectContaining({ name: 'free tier quota', kind: 'quota', used: 1, hard: 100 })]);
    expect(after.notes.filter((n: string) => n.includes('legacy'))).toEqual([]);
  });
});

describe('bad input to accounts, budgets and reports', () => {
  it('refuses unknown tiers, accounts and agents instead of reporting zeros', async () => {
    const bogus = await luna(['account', 'create', 'Other', '--id', 'other', '--tier', 'bogus'], { home });
    expect(bogus.exitCode).toBe(2);
    expect(bogus.stderr).toContain('luna: unknown tier "bogus"');
    expect(bogus.stderr).toMatch(/hint: use one of .*free.*studio/);
    expect((await luna(['account', 'list', '--json'], { home })).stdout).not.toContain('"other"');
    expect((await luna(['account', 'tier', 'nobody', 'free'], { home })).exitCode).toBe(4);
    expect((await luna(['account', 'tier', 'acme', 'bogus'], { home })).exitCode).toBe(2);

    const agent = await luna(['cost', 'report', '--agent', 'writerr'], { home });
    expect(agent.exitCode).toBe(2);
    expect(agent.stderr).toContain('--agent writerr: not an agent');
    const account = await luna(['cost', 'report', '--account', 'nope'], { home });
    expect(account.exitCode).toBe(4);
    expect(account.stderr).toContain('no account "nope"');
    expect((await luna(['cost', 'report', '--story', ''], { home })).exitCode).toBe(2);
    expect((await luna(['cost', 'budget', '--account', 'nope'], { home })).exitCode).toBe(4);
    // A misspelt owner would open a new account on the default tier, quietly: refused instead.
    const story = await luna(['story', 'new', '--title', 'x', '--premise', 'p', '--account', 'acmme'], { home });
    expect(story.exitCode).toBe(4);
    expect(story.stderr).toContain('no account "acmme"');
    expect(story.stderr).toContain('luna account create "NAME" --id acmme');
    expect((await luna(['account', 'list', '--json'], { home })).stdout).not.toContain('acmme');
  });

  it('a soft limit above the hard one is a config error naming the key', async () => {
    const other = tempHome('luna-cost-budget-bad-');
    writeFileSync(path.join(other, 'luna.yaml'), stringify({ cost: { budgets: { global: { softUsd: 50, hardUsd: 10 } } } }));
    const r = await luna(['cost', 'budget'], { home: other });
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toContain('cost.budgets.global.softUsd: expected at most hardUsd (10), found number 50');
  });

  it("a deleted story's calls still report by its full id", async () => {
    const id = await storyFor('acme');
    server.script({ kind: 'json', value: planJson() });
    expect((await luna(['turn', id, 'run'], { home })).exitCode).toBe(0);
    const deleted = await luna(['story', 'delete', id, '--yes'], { home });
    expect(deleted.exitCode, deleted.stderr).toBe(0);
    const report = await luna(['cost', 'report', '--story', id, '--json'], { home });
    expect(report.exitCode, report.stderr).toBe(0);
    expect(JSON.parse(report.stdout).total.calls).toBe(2);
    expect((await luna(['cost', 'report', '--story', id.slice(0, 6)], { home })).exitCode).toBe(4); // a prefix needs the story
  });
});
