import { afterEach, expect, it } from 'vitest';
import { drainJobs } from '../../src/pipeline/dreamer.js';
import { extractionJsonSchema, extractionMaxTokens } from '../../src/pipeline/extract-facts.js';
import { curateContext } from '../../src/pipeline/preprocessor.js';
import { pipelineFixture, planJson, type PipelineFixture } from '../helpers/pipeline-fixture.js';

let fx: PipelineFixture | null = null;
afterEach(async () => {
  await fx?.close();
  fx = null;
});

const quiet = { entities: [], factChanges: [] };
const isExtraction = (r: { path: string; body: any }) => r.path === '/v1/chat/completions' && r.body?.response_format?.json_schema?.name === 'story_facts';

it('extract-facts asks the Dreamer model for schema-constrained facts and stores them with their source turn, keeping a changed fact as history', async () => {
  fx = await pipelineFixture({
    agents: { preprocessor: { model: 'scribe' }, strategist: { model: 'planner' }, writer: { model: 'scribe' }, dreamer: { model: 'scribe', arcEvery: 50, inProcess: false, imagePrompts: false, maxTokens: 5000 } },
  });
  const f = fx;
  const story = await f.store.createStory({ title: 'Harbour', premise: 'Maren listens to everyone on the quay.' });
  f.strategist.script({ kind: 'json', value: planJson(quiet) });
  f.writer.script({ kind: 'text', chunks: ['Ilsa Carrow, whom the dockhands call the Salt Widow, hides the brass key behind the rain barrel. She is the half-sister of Bram Hale.'] });
  const first = (await f.play({ storyId: story.id, action: 'I watch the quay' })).at(-1) as { type: 'done'; turn: { id: string } };
  expect(first.type).toBe('done');
  expect((await f.store.listJobs({ storyId: story.id })).map((j) => j.kind)).toEqual(['extract-facts']);

  f.writer.script({
    kind: 'json',
    value: {
      entities: [{ name: 'Ilsa Carrow', kind: 'character', aliases: ['the Salt Widow'] }, { name: 'Bram Hale', kind: 'character', aliases: [] }],
      facts: [{ entity: 'Ilsa Carrow', key: 'hidden item', value: 'the brass key, behind the rain barrel' }],
      relations: [{ from: 'Ilsa Carrow', relation: 'half-sister of', to: 'Bram Hale' }],
    },
  });
  let before = f.writer.requests.length;
  expect((await drainJobs(f.session.deps, { workerId: 't' })).done).toBe(1);
  const req = f.writer.requests.slice(before).find(isExtraction)!;
  expect(req.body.response_format).toEqual({ type: 'json_schema', json_schema: { name: 'story_facts', schema: extractionJsonSchema, strict: true } });
  // The schema's worst case bounds the reply, under a larger agents.dreamer.maxTokens.
  expect(req.body.max_tokens).toBe(extractionMaxTokens());
  expect(extractionMaxTokens()).toBeLessThan(5000);
  expect(JSON.stringify(req.body.messages)).toContain('hides the brass key behind the rain barrel');

  const ilsa = (await f.store.listEntities(story.id)).find((e) => e.name === 'Ilsa Carrow')!;
  expect(ilsa.aliases).toEqual(['the Salt Widow']);
  const facts = await f.store.listFacts(story.id);
  expect(facts.map((x) => [x.key, x.value, x.turnId])).toEqual([
    ['hidden item', 'the brass key, behind the rain barrel', first.turn.id],
    ['half-sister of', 'Bram Hale', first.turn.id],
  ]);

  // A later turn moves the key: the new value is a new row from that turn; the old one stays as history.
  f.strategist.script({ kind: 'json', value: planJson(quiet) });
  f.writer.script({ kind: 'text', chunks: ['Ilsa moves the brass key to the chapel crypt.'] });
  const second = (await f.play({ storyId: story.id, action: 'I follow Ilsa' })).at(-1) as { type: 'done'; turn: { id: string } };
  f.writer.script({ kind: 'json', value: { entities: [], facts: [{ entity: 'Ilsa', key: 'hidden item', value: 'the brass key, in the chapel crypt' }], relations: [] } });
  before = f.writer.requests.length;
  await drainJobs(f.session.deps, { workerId: 't' });
  expect(f.writer.requests.slice(before).filter(isExtraction)).toHaveLength(1);
  const after = (await f.store.listFacts(story.id)).filter((x) => x.key === 'hidden item');
  expect(after.map((x) => [x.value, x.turnId])).toEqual([
    ['the brass key, behind the rain barrel', first.turn.id],
    ['the brass key, in the chapel crypt', second.turn.id],
  ]);
  // "Ilsa" resolved to the known entity rather than a new one.
  expect((await f.store.listEntities(story.id)).filter((e) => /ilsa/i.test(e.name))).toHaveLength(1);

  // The alias alone pulls her sheet: the current value, the old one as history.
  const s = (await f.store.getStory(story.id))!;
  const curated = await curateContext({ store: f.store, story: s, headId: s.headTurnId, action: 'What is the Salt Widow hiding?', config: f.loaded.config.context });
  expect(curated.text).toContain('- hidden item: the brass key, in the chapel crypt (turn 2; was: the brass key, behind the rain barrel)');
  expect(curated.context.retrieval.named).toEqual([{ name: 'Ilsa Carrow', via: 'the Salt Widow' }]);
});

it('agents.dreamer.extractFacts: false queues no extraction', async () => {
  fx = await pipelineFixture({
    agents: { preprocessor: { model: 'scribe' }, strategist: { model: 'planner' }, writer: { model: 'scribe' }, dreamer: { model: 'scribe', inProcess: false, imagePrompts: false, extractFacts: false } },
  });
  const story = await fx.store.createStory({ title: 't', premise: 'p' });
  fx.strategist.script({ kind: 'json', value: planJson(quiet) });
  fx.writer.script({ kind: 'text', chunks: ['Nothing happens.'] });
  await fx.play({ storyId: story.id, action: 'wait' });
  expect(await fx.store.listJobs({ storyId: story.id })).toEqual([]);
});

it('an unreadable reply stores nothing and does not fail the job', async () => {
  fx = await pipelineFixture({
    agents: { preprocessor: { model: 'scribe' }, strategist: { model: 'planner' }, writer: { model: 'scribe' }, dreamer: { model: 'scribe', inProcess: false, imagePrompts: false } },
  });
  const story = await fx.store.createStory({ title: 't', premise: 'p' });
  fx.strategist.script({ kind: 'json', value: planJson(quiet) });
  fx.writer.script({ kind: 'text', chunks: ['Ilsa hides a key.'] }, { kind: 'text', chunks: ['not json at all'] });
  await fx.play({ storyId: story.id, action: 'wait' });
  const r = await drainJobs(fx.session.deps, { workerId: 't' });
  expect([r.done, r.failed]).toEqual([1, 0]);
  expect(await fx.store.listFacts(story.id)).toEqual([]);
});

it('in review mode what the Dreamer reads from the prose waits for the player instead of being written', async () => {
  fx = await pipelineFixture({
    agents: { preprocessor: { model: 'scribe' }, strategist: { model: 'planner' }, writer: { model: 'scribe' }, dreamer: { model: 'scribe', inProcess: false, imagePrompts: false, review: true } },
  });
  const story = await fx.store.createStory({ title: 'Harbour', premise: 'Maren listens on the quay.' });
  fx.strategist.script({ kind: 'json', value: planJson(quiet) });
  fx.writer.script({ kind: 'text', chunks: ['Ilsa Carrow hides the brass key behind the rain barrel.'] });
  const done = (await fx.play({ storyId: story.id, action: 'I watch the quay' })).at(-1) as { type: 'done'; turn: { id: string } };
  fx.writer.script({ kind: 'json', value: { entities: [{ name: 'Ilsa Carrow', kind: 'character', aliases: [] }], facts: [{ entity: 'Ilsa Carrow', key: 'hidden item', value: 'the brass key' }], relations: [] } });
  expect((await drainJobs(fx.session.deps, { workerId: 't' })).done).toBe(1);
  expect(await fx.store.listFacts(story.id)).toEqual([]);
  const pending = await fx.store.listProposals(story.id, { state: 'pending' });
  expect(pending.map((p) => [p.change, p.origin, p.turnId])).toContainEqual([{ op: 'fact', entity: 'Ilsa Carrow', key: 'hidden item', value: 'the brass key' }, 'dreamer', done.turn.id]);
  await fx.store.decideProposals(story.id, 'all', true);
  expect((await fx.store.listFacts(story.id)).map((f) => [f.key, f.value, f.turnId])).toEqual([['hidden item', 'the brass key', done.turn.id]]);
});
