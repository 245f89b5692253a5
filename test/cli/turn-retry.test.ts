import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { luna, tempHome } from '../helpers/cli.js';
import { startOpenAIServer, type LoopbackServer } from '../helpers/openai-server.js';
import { planJson } from '../helpers/pipeline-fixture.js';

let home: string;
let server: LoopbackServer;

beforeAll(async () => {
  home = tempHome('luna-turn-retry-');
  server = await startOpenAIServer();
  server.setDefault({ kind: 'text', chunks: ['The tide ', 'turns.'] });
  writeFileSync(path.join(home, 'luna.yaml'), stringify({
    models: { loop: { provider: 'openai-compatible', baseUrl: server.baseUrl, model: 'loop-1', maxRetries: 0, price: { inputPerMTok: 1, outputPerMTok: 5 } } },
    agents: { preprocessor: { model: 'loop' }, strategist: { model: 'loop' }, writer: { model: 'loop' }, dreamer: { model: 'loop', inProcess: false } },
  }));
});
afterAll(async () => {
  await server.close();
});

interface TurnJson { id: string; parentId: string | null; action: string }

async function newStory(title: string): Promise<string> {
  const r = await luna(['story', 'new', '--title', title, '--premise', 'Maren keeps the light', '--json'], { home });
  expect(r.exitCode, r.stderr).toBe(0);
  return JSON.parse(r.stdout).id as string;
}

async function turn(id: string, ...args: string[]): Promise<TurnJson> {
  server.script({ kind: 'json', value: planJson() });
  const r = await luna(['turn', id, ...args, '--json'], { home });
  expect(r.exitCode, r.stderr).toBe(0);
  return JSON.parse(r.stdout).turn as TurnJson;
}

describe('luna turn --retry', () => {
  it('without an action replays the head turn\'s action as a sibling of it', async () => {
    const id = await newStory('Retry');
    const first = await turn(id, 'I climb the stair');
    const head = await turn(id, 'I light the lamp');
    expect(head.parentId).toBe(first.id);

    const before = server.requests.length;
    const retried = await turn(id, '--retry');
    expect(retried.id).not.toBe(head.id);
    expect(retried.parentId).toBe(head.parentId);
    expect(retried.action).toBe('I light the lamp');
    // The models were asked about the reused action, not an empty one.
    expect(server.requests.slice(before).some((r) => r.raw.includes('I light the lamp'))).toBe(true);

    const shown = await luna(['story', 'show', id, '--json'], { home });
    expect(JSON.parse(shown.stdout)).toMatchObject({ story: { headTurnId: retried.id }, branches: 2 });
  });

  it('with an action keeps it: a sibling with the new action', async () => {
    const id = await newStory('Retry with action');
    await turn(id, 'I climb the stair');
    const head = await turn(id, 'I light the lamp');
    const retried = await turn(id, '--retry', 'I', 'trim', 'the', 'wick');
    expect(retried.parentId).toBe(head.parentId);
    expect(retried.action).toBe('I trim the wick');
  });

  it('on a story with no turns exits 2 with a hint, without calling a model', async () => {
    const id = await newStory('Empty');
    const before = server.requests.length;
    const r = await luna(['turn', id, '--retry'], { home });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/^luna: there is no turn to retry yet$/m);
    expect(r.stderr).toMatch(/^hint: play a first turn/m);
    expect(server.requests.length).toBe(before);
  });
});

describe('finding branches and turns by id', () => {
  it('story show lists each branch by its tip id; --to and --from take a unique prefix of a turn id', async () => {
    const id = await newStory('Branches');
    const a = await turn(id, 'I climb the stair');
    const b = await turn(id, 'I light the lamp');
    const b2 = await turn(id, '--retry'); // a sibling of b: two branches
    const show = await luna(['story', 'show', id], { home });
    expect(show.stdout).toContain('branches (switch with: luna turn ID --to TIP):');
    expect(show.stdout).toMatch(new RegExp(`^   1\\. tip ${b.id}  2 turns — I light the lamp$`, 'm'));
    expect(show.stdout).toMatch(new RegExp(`^\\*  2\\. tip ${b2.id}  2 turns — I light the lamp$`, 'm'));
    const json = JSON.parse((await luna(['story', 'show', id, '--json'], { home })).stdout);
    expect(json.branchList).toEqual([
      { n: 1, tipTurnId: b.id, turns: 2, lastAction: 'I light the lamp', head: false },
      { n: 2, tipTurnId: b2.id, turns: 2, lastAction: 'I light the lamp', head: true },
    ]);

    const to = await luna(['turn', id, '--to', b.id.slice(0, 8)], { home });
    expect(to.exitCode, to.stderr).toBe(0);
    expect(to.stdout).toContain(`story head is now turn 2 (${b.id})`);
    const from = await turn(id, 'I go back down', '--from', a.id.slice(0, 6));
    expect(from.parentId).toBe(a.id);

    const missing = await luna(['turn', id, '--to', 'zzzzzz'], { home });
    expect(missing.exitCode).toBe(4);
    expect(missing.stderr).toContain('no turn "zzzzzz" in this story');
    expect(missing.stderr).toMatch(/hint: luna story show \w+ lists the branches with their turn ids/);
    expect((await luna(['turn', id, 'x', '--from', 'zzzzzz'], { home })).exitCode).toBe(4);
    expect((await luna(['turn', id, '--to', 'ab'], { home })).exitCode).toBe(2);
  });
});
