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
  home = tempHome('luna-cost-turn-');
  server = await startOpenAIServer();
  server.setDefault({ kind: 'text', chunks: ['The tide ', 'turns.'], usage: { prompt_tokens: 500, completion_tokens: 20 } });
  writeFileSync(path.join(home, 'luna.yaml'), stringify({
    models: { loop: { provider: 'openai-compatible', baseUrl: server.baseUrl, model: 'loop-1', maxRetries: 0, price: { inputPerMTok: 1, outputPerMTok: 5 } } },
    agents: { preprocessor: { model: 'loop' }, strategist: { model: 'loop' }, writer: { model: 'loop' }, dreamer: { model: 'loop', inProcess: false } },
    cost: { tiers: { trial: { turnsPerMonth: 4 } }, budgets: { accounts: { acme: { period: 'month', softUsd: 0.0005, hardUsd: 10 } } } },
  }));
  const store = await openStore({ poolSize: 1 }, home, { autoMigrateSqlite: true });
  await store.ensureAccount('acme', 'Acme', 'trial');
  await store.close();
}, 240_000);
afterAll(async () => {
  await server.close();
});

describe('luna turn under a tier quota', () => {
  it('plays up to the quota, then exits 8 with the limit named and the story unchanged', async () => {
    const created = await luna(['story', 'new', '--title', 'Quota', '--premise', 'p', '--account', 'acme', '--json'], { home });
    expect(created.exitCode, created.stderr).toBe(0);
    const id = JSON.parse(created.stdout).id as string;
    const play = async (action: string, ...flags: string[]) => {
      server.script({ kind: 'json', value: planJson(), usage: { prompt_tokens: 300, completion_tokens: 60 } });
      const r = await luna(['turn', id, action, ...flags], { home });
      expect(r.exitCode, r.stderr).toBe(0);
      return r;
    };
    expect((await play('one')).stderr).not.toMatch(/warning/);
    // The first turn spent $0.0012, over the $0.0005 soft limit: later turns go on, with a warning on stderr
    // (not a terminal here: warnings are the turn's log, unlike progress lines), in --json, and not with --quiet.
    expect((await play('two')).stderr).toMatch(/^· warning: account acme budget: \$0\.0012\d* spent this month, soft limit \$0\.0005/m);
    expect(JSON.parse((await play('three', '--json')).stdout).warnings).toEqual([expect.stringMatching(/^account acme budget: \$0\.0024\d* spent this month, soft limit \$0\.0005/)]);
    expect((await play('four', '--quiet')).stderr).toBe('');
    const requests = server.requests.length;
    const refused = await luna(['turn', id, 'five'], { home });
    expect(refused.exitCode).toBe(8);
    expect(refused.stderr).toMatch(/turn refused: trial tier quota: 4 of 4 turns used this month/);
    expect(refused.stderr).toMatch(/hint: .*cost\.tiers/);
    expect(server.requests.length).toBe(requests);

    const budget = JSON.parse((await luna(['cost', 'budget', '--account', 'acme', '--json'], { home })).stdout);
    expect(budget.items).toEqual(expect.arrayContaining([expect.objectContaining({ kind: 'quota', used: 4, hard: 4, level: 'hard' })]));
    const report = JSON.parse((await luna(['cost', 'report', '--account', 'acme', '--json'], { home })).stdout);
    expect(report.total.turns).toBe(4);
    // Strategist 300/60 and Writer 500/20 at $1/$5 per M, four times.
    expect(report.total.costUsd).toBeCloseTo(4 * ((300 + 500) * 1 + (60 + 20) * 5) / 1e6, 12);
  });
});
