import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TurnEvent } from '../../src/pipeline/events.js';
import { pipelineFixture, planJson, type PipelineFixture } from '../helpers/pipeline-fixture.js';

let fx: PipelineFixture;
beforeEach(async () => {
  fx = await pipelineFixture();
});
afterEach(async () => {
  await fx.close();
});

const of = <T extends TurnEvent['type']>(events: TurnEvent[], type: T) => events.filter((e): e is Extract<TurnEvent, { type: T }> => e.type === type);

describe('runTurn over the OpenAI wire protocol', () => {
  it('streams a full turn, commits it atomically with entities, facts, ledger rows and Dreamer jobs', async () => {
    const story = await fx.store.createStory({ title: 'The Lighthouse', premise: 'A keeper named Maren finds a stranger on the rocks.' });
    fx.strategist.script({ kind: 'json', value: planJson(), usage: { prompt_tokens: 900, completion_tokens: 120 } });
    fx.writer.script({ kind: 'text', chunks: ['Maren lifts ', 'Dawnbreaker ', 'toward the stranger.'], usage: { prompt_tokens: 1500, completion_tokens: 40 } });

    const events = await fx.play({ storyId: story.id, action: 'I ask the stranger who sent him' });
    const types = events.map((e) => e.type);
    expect(types[0]).toBe('turn-started');
    expect(types.indexOf('context-ready')).toBeLessThan(types.indexOf('plan-ready'));
    expect(types.indexOf('plan-ready')).toBeLessThan(types.indexOf('prose-token'));
    expect(types.at(-1)).toBe('done');
    expect(of(events, 'prose-token').map((e) => e.text).join('')).toBe('Maren lifts Dawnbreaker toward the stranger.');

    const done = of(events, 'done')[0]!;
    // 900 in × $1/M + 120 out × $5/M on the Strategist; the Writer is free.
    expect(done.totals.costUsd).toBeCloseTo(0.0009 + 0.0006, 10);
    expect(done.totals.inputTokens).toBe(2400);

    const saved = await fx.store.getStory(story.id);
    expect(saved?.headTurnId).toBe(done.turn.id);
    const turn = await fx.store.getTurn(done.turn.id);
    expect(turn?.prose).toBe('Maren lifts Dawnbreaker toward the stranger.');
    expect((turn?.plan as { intent: string }).intent).toContain('Maren confronts');
    const entities = await fx.store.listEntities(story.id);
    expect(entities.map((e) => e.name).sort()).toEqual(['Maren', 'the Stranger']);
    const facts = await fx.store.listFacts(story.id);
    expect(facts).toEqual([expect.objectContaining({ key: 'sword', value: 'Dawnbreaker, drawn', turnId: done.turn.id, depth: 1 })]);
    const calls = await fx.store.listCalls({ storyId: story.id });
    expect(calls.map((c) => c.agent).sort()).toEqual(['strategist', 'writer']);
    expect(calls.every((c) => c.turnId === done.turn.id)).toBe(true);
    const jobs = await fx.store.listJobs({ storyId: story.id });
    expect(jobs.map((j) => j.kind).sort()).toEqual(['entity-sheet', 'extract-facts', 'image-prompt']);

    // The Strategist asked for schema-constrained JSON; the Writer's prompt carries the plan.
    const stratReq = fx.strategist.requests.find((r) => r.path.endsWith('/chat/completions'))!;
    expect(stratReq.body.response_format.type).toBe('json_schema');
    const writerReq = fx.writer.requests.find((r) => r.path.endsWith('/chat/completions'))!;
    expect(JSON.stringify(writerReq.body.messages)).toContain('The stranger reveals a scar');
  });

  it('repairs a plan wrapped in prose and fences without a second call', async () => {
    const story = await fx.store.createStory({ title: 't', premise: 'p' });
    const broken = `Here is the plan:\n\`\`\`json\n${JSON.stringify(planJson()).replace(/}$/, ',}')}\n\`\`\``;
    fx.strategist.script({ kind: 'text', chunks: [broken] });
    fx.writer.script({ kind: 'text', chunks: ['ok.'] });
    const events = await fx.play({ storyId: story.id, action: 'wait' });
    expect(of(events, 'plan-ready')[0]?.repaired).toBe(true);
    expect(fx.strategist.requests.filter((r) => r.path.endsWith('/chat/completions'))).toHaveLength(1);
    expect(events.at(-1)?.type).toBe('done');
  });

  it('keeps the turn when the retried plan is valid but for blank beats: the action becomes the beat', async () => {
    const story = await fx.store.createStory({ title: 't', premise: 'p' });
    const blank = { ...planJson(), beats: ['  ', ''] };
    fx.strategist.script({ kind: 'json', value: blank }, { kind: 'json', value: blank });
    fx.writer.script({ kind: 'text', chunks: ['She opens it.'] });
    const events = await fx.play({ storyId: story.id, action: 'I open the door' });
    expect(fx.strategist.requests.filter((r) => r.path.endsWith('/chat/completions'))).toHaveLength(2);
    const plan = of(events, 'plan-ready')[0]!;
    expect([plan.plan.beats, plan.repaired]).toEqual([['I open the door'], true]);
    expect(events.at(-1)?.type).toBe('done');
  });

  it('retries an invalid plan once, then fails cleanly leaving the story unchanged but the spend recorded', async () => {
    const story = await fx.store.createStory({ title: 't', premise: 'p' });
    fx.strategist.script({ kind: 'text', chunks: ['no plan here'] }, { kind: 'text', chunks: ['still nothing'] });
    const events = await fx.play({ storyId: story.id, action: 'wait' });
    const err = of(events, 'error')[0]!;
    expect(err.message).toMatch(/invalid plan twice/);
    expect(err.action).toBe('wait');
    expect(await fx.store.countTurns(story.id)).toBe(0);
    expect((await fx.store.getStory(story.id))?.headTurnId).toBeNull();
    const calls = await fx.store.listCalls({ storyId: story.id });
    expect(calls).toHaveLength(2);
    expect(calls.every((c) => c.turnId === null && c.agent === 'strategist')).toBe(true);
  });

  it('a writer that dies mid-stream fails the turn without a partial turn in the database', async () => {
    const story = await fx.store.createStory({ title: 't', premise: 'p' });
    fx.strategist.script({ kind: 'json', value: planJson() });
    fx.writer.script({ kind: 'cut', chunks: ['Maren', ' begins to'] });
    const events = await fx.play({ storyId: story.id, action: 'run' });
    expect(of(events, 'prose-token').length).toBeGreaterThan(0);
    const err = of(events, 'error')[0]!;
    expect(err.cancelled).toBe(false);
    expect(err.exitCode).toBe(6);
    expect(await fx.store.countTurns(story.id)).toBe(0);
  });

  it('cancelling mid-stream leaves no turn and reports a cancellation', async () => {
    const story = await fx.store.createStory({ title: 't', premise: 'p' });
    fx.strategist.script({ kind: 'json', value: planJson() });
    fx.writer.script({ kind: 'text', chunks: ['one ', 'two ', 'three ', 'four ', 'five'], delayMs: 150 });
    const controller = new AbortController();
    const events: TurnEvent[] = [];
    const { runTurn } = await import('../../src/pipeline/run-turn.js');
    for await (const e of runTurn({ storyId: story.id, action: 'run' }, { ...fx.session.deps, signal: controller.signal })) {
      events.push(e);
      if (e.type === 'prose-token') controller.abort();
    }
    const err = of(events, 'error')[0]!;
    expect(err.cancelled).toBe(true);
    expect(err.action).toBe('run');
    expect(await fx.store.countTurns(story.id)).toBe(0);
  });

  it('retry makes a sibling of the last turn; from-branching starts a new branch; memory follows the branch', async () => {
    const story = await fx.store.createStory({ title: 't', premise: 'p' });
    fx.strategist.setDefault({ kind: 'json', value: planJson({ factChanges: [] , entities: [] }) });
    fx.writer.script({ kind: 'text', chunks: ['first'] }, { kind: 'text', chunks: ['second'] }, { kind: 'text', chunks: ['second again'] });
    const t1 = of(await fx.play({ storyId: story.id, action: 'a' }), 'done')[0]!.turn;
    const t2 = of(await fx.play({ storyId: story.id, action: 'b' }), 'done')[0]!.turn;
    const t2b = of(await fx.play({ storyId: story.id, action: 'b', mode: 'retry' }), 'done')[0]!.turn;
    expect(t2b.parentId).toBe(t1.id);
    expect(t2b.id).not.toBe(t2.id);
    expect((await fx.store.getBranch(story.id, t2b.id)).map((t) => t.prose)).toEqual(['first', 'second again']);
    expect((await fx.store.listLeaves(story.id)).map((t) => t.id).sort()).toEqual([t2.id, t2b.id].sort());
  });

  it('refuses an empty action and an unknown story with clear errors', async () => {
    const story = await fx.store.createStory({ title: 't', premise: 'p' });
    const e1 = of(await fx.play({ storyId: story.id, action: '   ' }), 'error')[0]!;
    expect(e1.exitCode).toBe(2);
    const e2 = of(await fx.play({ storyId: 'nope', action: 'x' }), 'error')[0]!;
    expect(e2.exitCode).toBe(4);
    expect(e2.hint).toMatch(/story list/);
  });

  it('two turns racing on the same story: exactly one lands, the other is told the story is busy', async () => {
    const story = await fx.store.createStory({ title: 't', premise: 'p' });
    fx.strategist.setDefault({ kind: 'json', value: planJson({ factChanges: [], entities: [] }) });
    fx.writer.setDefault({ kind: 'text', chunks: ['a', 'b'], delayMs: 30 });
    const [a, b] = await Promise.all([fx.play({ storyId: story.id, action: 'left' }), fx.play({ storyId: story.id, action: 'right' })]);
    const outcomes = [a.at(-1)!, b.at(-1)!].map((e) => e.type).sort();
    expect(outcomes).toEqual(['done', 'error']);
    const failed = [a.at(-1)!, b.at(-1)!].find((e) => e.type === 'error') as Extract<TurnEvent, { type: 'error' }>;
    expect(failed.exitCode).toBe(9);
    expect(await fx.store.countTurns(story.id)).toBe(1);
  });

  it('the turn that lost a race is told before its Writer streams (and bills) a passage', async () => {
    const story = await fx.store.createStory({ title: 't', premise: 'p' });
    fx.strategist.script({ kind: 'json', value: planJson({ factChanges: [], entities: [] }), delayMs: 400 }, { kind: 'json', value: planJson({ factChanges: [], entities: [] }) });
    const slow = fx.play({ storyId: story.id, action: 'left' });
    await new Promise((r) => setTimeout(r, 100));
    const fast = await fx.play({ storyId: story.id, action: 'right' });
    expect(fast.at(-1)!.type).toBe('done');
    const lost = (await slow).at(-1)!;
    expect(lost.type === 'error' && lost.exitCode).toBe(9);
    expect(fx.writer.requests.filter((r) => r.path === '/v1/chat/completions')).toHaveLength(1);
  });

  it('an action over context.maxActionChars is refused before any model call', async () => {
    const story = await fx.store.createStory({ title: 't', premise: 'p' });
    const events = await fx.play({ storyId: story.id, action: 'x'.repeat(4001) });
    const e = events.at(-1)!;
    expect(e.type === 'error' && e.exitCode).toBe(2);
    expect(e.type === 'error' && e.message).toMatch(/4001 characters; the limit is 4000/);
    expect(fx.strategist.requests.filter((r) => r.path === '/v1/chat/completions')).toHaveLength(0);
  });
});
