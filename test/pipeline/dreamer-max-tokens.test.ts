import { afterEach, expect, it } from 'vitest';
import { drainJobs } from '../../src/pipeline/dreamer.js';
import { pipelineFixture, planJson, type PipelineFixture } from '../helpers/pipeline-fixture.js';

let fx: PipelineFixture | null = null;
afterEach(async () => {
  await fx?.close();
  fx = null;
});

it('every Dreamer request honours agents.dreamer.maxTokens (the prompt builders\' own defaults were sent)', async () => {
  fx = await pipelineFixture({
    agents: { preprocessor: { model: 'scribe' }, strategist: { model: 'planner' }, writer: { model: 'scribe' }, dreamer: { model: 'scribe', arcEvery: 2, maxTokens: 60, inProcess: false } },
  });
  const story = await fx.store.createStory({ title: 'Lighthouse', premise: 'Maren keeps the light.' });
  for (const action of ['I climb the stair', 'I light the lamp']) {
    fx.strategist.script({ kind: 'json', value: planJson() });
    await fx.play({ storyId: story.id, action });
  }
  const before = fx.writer.requests.length;
  const r = await drainJobs(fx.session.deps, { workerId: 't' });
  expect(r.done).toBeGreaterThan(0);
  const dreamer = fx.writer.requests.slice(before).filter((q) => q.path === '/v1/chat/completions');
  expect(dreamer.length).toBeGreaterThanOrEqual(2); // at least the image prompt and the arc summary
  for (const q of dreamer) expect(q.body.max_tokens).toBe(60);
});
