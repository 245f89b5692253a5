import { describe, expect, it } from 'vitest';
import { BullJobQueue } from '../../src/queue/bullmq.js';
import { parseRedisQueue } from '../../src/queue/redis-url.js';
import { planJson } from '../helpers/pipeline-fixture.js';
import { uniqueQueueUrl } from '../queue/helpers.js';
import { KEY, NO_DREAMER, openFixture, renderApp } from './helpers.js';

describe('luna play with queue: redis://', () => {
  it('hands a turn\'s Dreamer jobs to Redis as soon as the turn commits, as luna turn does (it left them in the store)', async () => {
    const queueUrl = uniqueQueueUrl();
    const fx = await openFixture({ ...NO_DREAMER, queue: queueUrl });
    const q = await BullJobQueue.open(fx.store, parseRedisQueue(queueUrl));
    try {
      const story = await fx.store.createStory({ title: 'Relay', premise: 'p' });
      fx.strategist.setDefault({ kind: 'json', value: planJson() });
      fx.writer.setDefault({ kind: 'text', chunks: ['The lamp gutters.'] });
      const app = renderApp(fx, { kind: 'open', id: story.id });
      await app.waitFor((f) => f.includes('LUNA · Relay'), 'the story screen');
      await app.type('I trim the wick');
      await app.press(KEY.enter);
      await app.waitFor((f) => f.includes('The lamp gutters.'), 'the turn');
      const turn = (await fx.store.getStory(story.id))!.headTurnId!;
      const mine = async () => (await fx.store.listJobs()).filter((j) => j.turnId === turn);
      let jobs = await mine();
      for (let i = 0; i < 200 && !(jobs.length > 0 && jobs.every((j) => j.lockedBy === 'bullmq')); i++) {
        await new Promise((r) => setTimeout(r, 25));
        jobs = await mine();
      }
      expect(jobs.length).toBeGreaterThan(0);
      expect(jobs.every((j) => j.state === 'running' && j.lockedBy === 'bullmq')).toBe(true);
      const inRedis = (await q.queue.getJobs(['waiting'])).map((j) => j.id).sort();
      expect(inRedis).toEqual(jobs.map((j) => j.id).sort());
    } finally {
      await q.obliterate().catch(() => undefined);
      await q.close();
    }
  });
});
