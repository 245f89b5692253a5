import { afterEach, expect, it } from 'vitest';
import { drainJobs } from '../../src/pipeline/dreamer.js';
import { entitySheet, findEntity } from '../../src/memory/ops.js';
import { entityOriginText } from '../../src/memory/render.js';
import { editProse } from '../../src/story/steer.js';
import { pipelineFixture, planJson, type PipelineFixture } from '../helpers/pipeline-fixture.js';

/** An edit re-derives what the Dreamer read from a turn's prose: its facts and the entities it found only there. */
let fx: PipelineFixture | null = null;
afterEach(async () => {
  await fx?.close();
  fx = null;
});

const AGENTS = { preprocessor: { model: 'scribe' }, strategist: { model: 'planner' }, writer: { model: 'scribe' }, dreamer: { model: 'scribe', inProcess: false, imagePrompts: false, extractFacts: true } };
const extraction = (entities: string[], facts: { entity: string; key: string; value: string }[]) =>
  ({ kind: 'json' as const, value: { entities: entities.map((name) => ({ name, kind: 'character', aliases: [] })), facts, relations: [] } });

it('the entities the Dreamer read from the old prose go with it, the plan\'s stay, and a re-read finds the ones still there', async () => {
  fx = await pipelineFixture({ agents: AGENTS });
  const story = await fx.store.createStory({ title: 'Marsh', premise: 'Maren keeps the light.' });
  fx.strategist.script({ kind: 'json', value: planJson() });
  fx.writer.script({ kind: 'text', chunks: ['Maren rows past the Heron Keeper and old Wick, who mends nets.'] });
  await fx.play({ storyId: story.id, action: 'I row out' });
  const turnId = (await fx.store.getStory(story.id))!.headTurnId!;
  expect((await fx.store.listJobs({ storyId: story.id })).map((j) => j.kind)).toContain('extract-facts');
  fx.writer.setDefault(extraction(['Heron Keeper', 'Wick'], [{ entity: 'Wick', key: 'mends', value: 'nets' }]));
  await drainJobs(fx.session.deps, { workerId: 't', once: true });
  const names = async () => (await fx!.store.listEntities(story.id)).map((e) => e.name).sort();
  expect(await names()).toEqual(['Heron Keeper', 'Maren', 'Wick', 'the Stranger']);
  const sheetOf = async (name: string) => {
    const st = (await fx!.store.getStory(story.id))!;
    const sheet = await entitySheet(fx!.store, st, await findEntity(fx!.store, st, name));
    return entityOriginText(sheet.entity, sheet.firstTurn);
  };
  expect([await sheetOf('Wick'), await sheetOf('Maren')]).toEqual(['found by the Dreamer in turn 1', 'named by the plan in turn 1']);

  const outcome = await editProse(fx.store, fx.loaded.config, (await fx.store.getStory(story.id))!, turnId, 'Maren rows on alone; old Wick waves from the shore.');
  expect(outcome).toMatchObject({ forgotten: 1, entitiesForgotten: 2, rereading: true });
  // The plan's entities stay: an edit keeps the plan.
  expect(await names()).toEqual(['Maren', 'the Stranger']);
  fx.writer.setDefault(extraction(['Wick'], [{ entity: 'Wick', key: 'waves from', value: 'the shore' }]));
  await drainJobs(fx.session.deps, { workerId: 't', once: true });
  expect(await names()).toEqual(['Maren', 'Wick', 'the Stranger']);
  expect((await fx.store.listFacts(story.id)).filter((f) => f.origin === 'dreamer').map((f) => [f.key, f.value])).toEqual([['waves from', 'the shore']]);
});
