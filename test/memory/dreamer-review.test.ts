import { afterEach, expect, it } from 'vitest';
import { drainJobs } from '../../src/pipeline/dreamer.js';
import { writeDreamerMemory } from '../../src/pipeline/dreamer-memory.js';
import { pipelineFixture, planJson, type PipelineFixture } from '../helpers/pipeline-fixture.js';

/** The Dreamer writes entity sheets through writeDreamerMemory: directly, or as proposals in review mode. */
let fx: PipelineFixture | null = null;
afterEach(async () => {
  await fx?.close();
  fx = null;
});

const AGENTS = { preprocessor: { model: 'scribe' }, strategist: { model: 'planner' }, writer: { model: 'scribe' }, dreamer: { model: 'scribe', inProcess: false, imagePrompts: false, extractFacts: false } };

it('in review mode the entity-sheet job queues its new summaries instead of writing them', async () => {
  fx = await pipelineFixture({ agents: AGENTS });
  const story = await fx.store.createStory({ title: 'Lighthouse', premise: 'Maren keeps the light.' });
  fx.strategist.script({ kind: 'json', value: planJson() });
  fx.writer.script({ kind: 'text', chunks: ['Maren draws Dawnbreaker.'] });
  await fx.play({ storyId: story.id, action: 'I draw my sword' });
  expect((await fx.store.listJobs({ storyId: story.id })).map((j) => j.kind)).toEqual(['entity-sheet']);
  // Review mode switched on after the turn: the job that runs now must not write.
  fx.loaded.config.agents.dreamer.review = true;
  fx.writer.setDefault({ kind: 'text', chunks: ['A keeper with a drawn blade.'] });
  expect((await drainJobs(fx.session.deps, { workerId: 't' })).done).toBe(1);
  expect((await fx.store.listEntities(story.id)).map((e) => e.description)).toEqual(['', '']);
  const pending = await fx.store.listProposals(story.id, { state: 'pending' });
  expect(pending.map((p) => [p.origin, p.change])).toEqual([
    ['dreamer', { op: 'entity', name: 'Maren', kind: 'character', description: 'A keeper with a drawn blade.' }],
    ['dreamer', { op: 'entity', name: 'the Stranger', kind: 'character', description: 'A keeper with a drawn blade.' }],
  ]);
  await fx.store.decideProposals(story.id, [pending[0]!.id], true);
  expect((await fx.store.listEntities(story.id)).map((e) => e.description)).toEqual(['A keeper with a drawn blade.', '']);
});

it('writeDreamerMemory writes with provenance, or queues, and ignores an empty batch', async () => {
  fx = await pipelineFixture({ agents: AGENTS });
  const story = await fx.store.createStory({ title: 'Lighthouse', premise: 'Maren keeps the light.' });
  fx.strategist.script({ kind: 'json', value: planJson() });
  await fx.play({ storyId: story.id, action: 'I look' });
  const turn = (await fx.store.getStory(story.id))!.headTurnId!;
  expect(await writeDreamerMemory(fx.store, story.id, turn, [], { review: true, origin: 'dreamer' })).toEqual({ written: 0, proposals: [] });
  const w = await writeDreamerMemory(fx.store, story.id, turn, [{ op: 'fact', entity: 'Gull', key: 'owner', value: 'Maren' }, { op: 'fact-rm', entity: 'Maren', key: 'sword' }],
    { review: false, origin: 'dreamer' });
  expect(w.written).toBe(2);
  const facts = await fx.store.listFacts(story.id);
  expect(facts.map((f) => [f.key, f.origin, f.removed, f.sourceTurnId])).toEqual([['sword', 'plan', false, turn], ['owner', 'dreamer', false, turn], ['sword', 'dreamer', true, turn]]);
  expect((await fx.store.listEntities(story.id)).find((e) => e.name === 'Gull')?.kind).toBe('other');
  const q = await writeDreamerMemory(fx.store, story.id, turn, [{ op: 'fact', entity: 'Maren', key: 'mood', value: 'calm' }], { review: true, origin: 'dreamer' });
  expect(q.proposals.map((p) => p.state)).toEqual(['pending']);
});
