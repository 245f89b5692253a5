import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { luna, tempHome } from '../helpers/cli.js';
import { startOpenAIServer, type LoopbackServer } from '../helpers/openai-server.js';
import { planJson } from '../helpers/pipeline-fixture.js';

/** `luna entity|fact|memory` as a player runs them: the built CLI over a real SQLite home. */
let home: string;
let server: LoopbackServer;

const BUNDLE = {
  title: 'Harbour', premise: 'A keeper finds a stranger.',
  entities: [
    { name: 'Maren', kind: 'character', aliases: ['the keeper'], description: 'Keeps the light', facts: [{ key: 'sword', value: 'rusty', turn: 1 }] },
    { name: 'Stranger', kind: 'other', facts: [{ key: 'scar', value: 'left cheek' }] },
  ],
  turns: [{ action: 'a', prose: 'one' }, { action: 'b', prose: 'two' }, { action: 'c', prose: 'three' }],
};

async function ok(args: string[], env?: Record<string, string>) {
  const r = await luna(args, { home, env });
  expect(r.exitCode, r.stderr).toBe(0);
  return r;
}

async function importStory(): Promise<string> {
  const file = path.join(home, `bundle-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(BUNDLE));
  return JSON.parse((await ok(['story', 'import', file, '--json'])).stdout).story.id as string;
}

beforeAll(async () => {
  home = tempHome('luna-memory-cli-');
  server = await startOpenAIServer();
  server.setDefault({ kind: 'text', chunks: ['Maren ', 'draws her sword.'] });
  writeFileSync(path.join(home, 'luna.yaml'), stringify({
    models: { loop: { provider: 'openai-compatible', baseUrl: server.baseUrl, model: 'loop-1', maxRetries: 0, price: { inputPerMTok: 1, outputPerMTok: 5 } } },
    agents: { preprocessor: { model: 'loop' }, strategist: { model: 'loop' }, writer: { model: 'loop' }, dreamer: { model: 'loop', inProcess: false } },
  }));
}, 120_000);
afterAll(async () => {
  await server.close();
});

describe('luna entity and luna fact', () => {
  it('corrects a fact from a turn on, removes it as a tombstone, and keeps the history with provenance', async () => {
    const story = await importStory();
    const set = await ok(['fact', 'set', story, 'maren', 'sword', 'reforged', '--from', '2']);
    expect(set.stdout).toContain('Maren: sword = reforged (from turn 2, player at turn 3)');
    await ok(['fact', 'rm', story, 'the keeper', 'sword']);
    const current = JSON.parse((await ok(['fact', 'list', story, '--json'])).stdout);
    expect(current.map((f: { entity: string; key: string }) => `${f.entity}.${f.key}`)).toEqual(['Stranger.scar']);
    const hist = JSON.parse((await ok(['fact', 'list', story, 'Maren', '--history', '--json'])).stdout);
    expect(hist).toHaveLength(1);
    expect([hist[0], ...hist[0].history].map((r: { value: string; removed: boolean; origin: string; appliesFrom: number; sourceTurn: number }) =>
      [r.removed ? '(removed)' : r.value, r.origin, r.appliesFrom, r.sourceTurn])).toEqual([['(removed)', 'player', 3, 3], ['reforged', 'player', 2, 3], ['rusty', 'import', 1, 1]]);
    const show = await ok(['entity', 'show', story, 'MAREN']);
    expect(show.stdout).toContain('Maren [character] (aka the keeper)');
    expect(show.stdout).toContain('was: sword = rusty (from turn 1, import)');
    // What the models read at the head: the removed fact is gone, the other entity's fact is there.
    const ctx = await ok(['context', story, '--action', 'I look at Maren and the Stranger', '--json']);
    expect(ctx.stdout).not.toContain('reforged');
    expect(ctx.stdout).toContain('left cheek');

    // Export and import carry the history: origins, the turn each row applies from, the tombstone.
    const out = path.join(home, 'exported.json');
    await ok(['story', 'export', story, '-o', out]);
    const copy = JSON.parse((await ok(['story', 'import', out, '--json'])).stdout).story.id as string;
    const again = JSON.parse((await ok(['fact', 'list', copy, 'Maren', '--history', '--json'])).stdout);
    expect([again[0], ...again[0].history].map((r: { removed: boolean; origin: string; appliesFrom: number }) => [r.removed, r.origin, r.appliesFrom]))
      .toEqual([[true, 'player', 3], [false, 'player', 2], [false, 'import', 1]]);
  }, 180_000);

  it('edits and merges entities; bad input is one line, a hint and the right exit code', async () => {
    const story = await importStory();
    const edit = await ok(['entity', 'edit', story, 'Stranger', '--name', 'Vance', '--kind', 'character', '--summary', 'A sailor', '--json']);
    expect(JSON.parse(edit.stdout)).toMatchObject({ name: 'Vance', kind: 'character', description: 'A sailor', aliases: ['Stranger'] });
    const merge = await ok(['entity', 'merge', story, 'stranger', 'Maren']);
    expect(merge.stdout).toContain('merged stranger into Maren [character] (aka the keeper, Vance, Stranger)');
    const list = JSON.parse((await ok(['entity', 'list', story, '--json'])).stdout);
    expect(list.map((e: { name: string; facts: number }) => [e.name, e.facts])).toEqual([['Maren', 2]]);

    const cases: [string[], number, RegExp][] = [
      [['entity', 'show', story, 'Nobody'], 4, /^luna: no entity "Nobody" in story/m],
      [['entity', 'show', 'nostory', 'Maren'], 4, /^luna: no story "nostory"/m],
      [['fact', 'set', story, '', 'k', 'v'], 2, /^luna: the entity name is empty/m],
      [['fact', 'set', story, 'Maren', ' ', 'v'], 2, /^luna: the fact key is empty/m],
      [['fact', 'set', story, 'Maren', 'sword', 'red\u001b]0;owned\u0007'], 2, /^luna: the fact value holds control characters/m],
      [['fact', 'set', story, 'Maren', 'k', 'v', '--from', '9'], 4, /^luna: no turn 9 on the current branch/m],
      [['fact', 'rm', story, 'Maren', 'nothing'], 4, /^luna: Maren has no fact "nothing"/m],
      [['entity', 'edit', story, 'Maren'], 2, /^luna: nothing to change/m],
      [['entity', 'edit', story, 'Maren', '--kind', 'dragon'], 2, /^luna: --kind must be one of/m],
      [['entity', 'merge', story, 'Maren', 'the keeper'], 2, /same entity/m],
    ];
    for (const [args, code, msg] of cases) {
      const r = await luna(args, { home });
      expect(r.exitCode, `${args.join(' ')}: ${r.stderr}`).toBe(code);
      expect(r.stderr).toMatch(msg);
      expect(r.stderr).toMatch(/^hint: /m);
    }
  }, 180_000);

  it('adds an entity the story missed and removes one with its facts; the context follows', async () => {
    const story = await importStory();
    const added = JSON.parse((await ok(['entity', 'add', story, 'Orrin Vale', '--kind', 'character', '--summary', "The keeper's brother", '--alias', 'the ferryman', '--json'])).stdout);
    expect(added).toMatchObject({ name: 'Orrin Vale', kind: 'character', description: "The keeper's brother", aliases: ['the ferryman'], firstTurnId: null });
    await ok(['fact', 'set', story, 'the ferryman', 'owes', 'ten crowns']);
    // Each sheet says who recorded the entity.
    expect((await ok(['entity', 'show', story, 'Orrin Vale'])).stdout.split('\n').slice(0, 3)).toEqual(
      ['Orrin Vale [character] (aka the ferryman)', '  (added or corrected by the player)', "  The keeper's brother"]);
    expect((await ok(['entity', 'show', story, 'Maren'])).stdout).toContain('Maren [character] (aka the keeper)\n  (from the story file)\n');
    expect((await ok(['entity', 'list', story])).stdout).toMatch(/Orrin Vale .*│\s+1 │ player +│ The keeper's brother/);
    // The models read the new sheet when the action names him.
    expect((await ok(['context', story, '--action', 'I ask the ferryman about the debt', '--full'])).stdout).toContain('owes: ten crowns');
    for (const [args, code, msg] of [
      [['entity', 'add', story, 'the keeper'], 2, /^luna: story \S+ already has "Maren"/m],
      [['entity', 'add', story, 'Wick', '--kind', 'dragon'], 2, /^luna: --kind must be one of/m],
      [['entity', 'add', story, ' '], 2, /^luna: the entity name is empty/m],
      [['entity', 'add', story, 'Red\u001b[2Jhead'], 2, /^luna: an entity name or alias holds a line break or a control character/m],
      [['entity', 'edit', story, 'Maren', '--alias', 'two\nlines'], 2, /^luna: an entity name or alias holds a line break/m],
      [['entity', 'edit', story, 'Maren', '--summary', 'bell\u0007'], 2, /^luna: the summary holds control characters/m],
      [['entity', 'rm', story, 'Nobody'], 4, /^luna: no entity "Nobody" in story/m],
    ] as [string[], number, RegExp][]) {
      const r = await luna(args, { home });
      // One line and a hint.
      expect([r.exitCode, r.stderr.trim().split('\n').length], `${args.join(' ')}: ${r.stderr}`).toEqual([code, 2]);
      expect(r.stderr).toMatch(msg);
      expect(r.stderr).toMatch(/^hint: /m);
    }
    const rm = await ok(['entity', 'rm', story, 'Orrin Vale']);
    expect(rm.stdout).toBe('removed Orrin Vale and its 1 fact row (history included)');
    expect(JSON.parse((await ok(['entity', 'list', story, '--json'])).stdout).map((e: { name: string }) => e.name)).toEqual(['Maren', 'Stranger']);
    expect((await ok(['context', story, '--action', 'I ask the ferryman about the debt', '--full'])).stdout).not.toContain('ten crowns');
  }, 180_000);
});

describe('luna memory review', () => {
  it('with agents.dreamer.review a turn queues its memory changes; accept writes them, reject drops them', async () => {
    const story = JSON.parse((await ok(['story', 'new', '--title', 'Review', '--premise', 'Maren keeps the light', '--json'])).stdout).id as string;
    server.script({ kind: 'json', value: planJson() });
    const turn = await luna(['turn', story, 'I', 'draw', 'my', 'sword', '--json', '--config', writeReviewConfig()], { home });
    expect(turn.exitCode, turn.stderr).toBe(0);
    expect(JSON.parse(turn.stdout).warnings).toEqual([`3 memory changes wait for review: luna memory review ${story} (or /review in play)`]);
    expect(JSON.parse((await ok(['entity', 'list', story, '--json'])).stdout)).toEqual([]);
    const pending = JSON.parse((await ok(['memory', 'review', story, '--json'])).stdout) as { id: string; text: string; origin: string; turn: number }[];
    expect(pending.map((p) => p.text)).toEqual(['entity Maren [character]', 'entity the Stranger [character]', 'fact Maren.sword = Dawnbreaker, drawn']);
    expect(pending.every((p) => p.origin === 'plan' && p.turn === 1)).toBe(true);
    const table = await ok(['memory', 'review', story]);
    expect(table.stdout).toContain(pending[2]!.id.slice(0, 8));

    const acc = await ok(['memory', 'review', story, '--accept', pending[0]!.id.slice(0, 8), pending[2]!.id]);
    expect(acc.stdout).toContain('accepted');
    const facts = JSON.parse((await ok(['fact', 'list', story, '--json'])).stdout);
    expect(facts.map((f: { entity: string; value: string; origin: string; appliesFrom: number }) => [f.entity, f.value, f.origin, f.appliesFrom]))
      .toEqual([['Maren', 'Dawnbreaker, drawn', 'plan', 1]]);
    const rej = await ok(['memory', 'review', story, '--reject-all', '--json']);
    expect(JSON.parse(rej.stdout).map((p: { state: string }) => p.state)).toEqual(['rejected']);
    expect((await ok(['entity', 'list', story, '--json'])).stdout).not.toContain('Stranger');
    expect(JSON.parse((await ok(['memory', 'review', story, '--json'])).stdout)).toEqual([]);
    // A second turn where Maren merely appears again queues only what changes: the new fact.
    server.script({ kind: 'json', value: planJson({ entities: [{ name: 'Maren', kind: 'character' }], factChanges: [{ entity: 'Maren', key: 'mood', value: 'wary' }] }) });
    const second = await luna(['turn', story, 'I', 'wait', '--json', '--config', writeReviewConfig()], { home });
    expect(second.exitCode, second.stderr).toBe(0);
    expect((JSON.parse((await ok(['memory', 'review', story, '--json'])).stdout) as { text: string }[]).map((p) => p.text)).toEqual(['fact Maren.mood = wary']);
    const unknown = await luna(['memory', 'review', story, '--accept', 'zzzzzz'], { home });
    expect(unknown.exitCode).toBe(4);
    const both = await luna(['memory', 'review', story, '--accept-all', '--reject-all'], { home });
    expect(both.exitCode).toBe(2);
  }, 180_000);
});

/** The test home's config with review mode on. */
function writeReviewConfig(): string {
  const file = path.join(home, 'review.yaml');
  writeFileSync(file, stringify({
    models: { loop: { provider: 'openai-compatible', baseUrl: server.baseUrl, model: 'loop-1', maxRetries: 0, price: { inputPerMTok: 1, outputPerMTok: 5 } } },
    agents: { preprocessor: { model: 'loop' }, strategist: { model: 'loop' }, writer: { model: 'loop' }, dreamer: { model: 'loop', inProcess: false, review: true } },
  }));
  return file;
}
