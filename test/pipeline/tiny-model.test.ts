import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadConfig } from '../../src/config/load.js';
import { combineEndpointSources } from '../../src/models/endpoints.js';
import { drainJobs } from '../../src/pipeline/dreamer.js';
import type { TurnEvent } from '../../src/pipeline/events.js';
import { beatPlanSchema } from '../../src/pipeline/plan.js';
import { runTurn } from '../../src/pipeline/run-turn.js';
import { createSession, type Session } from '../../src/runtime/session.js';
import { openStore } from '../../src/store/open.js';
import type { Store } from '../../src/store/types.js';
import { TINY_MODEL } from '../helpers/pipeline-fixture.js';

/** Every stage for real on the TinyStories GGUF: it cannot follow instructions, so its plan comes through a JSON grammar. */
let store: Store;
let session: Session;

beforeAll(async () => {
  const home = mkdtempSync(path.join(tmpdir(), 'luna-tiny-'));
  const file = path.join(home, 'tiny.yaml');
  writeFileSync(
    file,
    stringify({
      models: { tiny: { provider: 'local', path: TINY_MODEL, threads: 1, contextSize: 1024 } },
      agents: {
        preprocessor: { model: 'tiny', embeddingModel: 'tiny' },
        strategist: { model: 'tiny', maxTokens: 160 },
        writer: { model: 'tiny', maxTokens: 60 },
        dreamer: { model: 'tiny', maxTokens: 40, arcEvery: 2 },
      },
      context: { budgetTokens: 600, strategistBudgetTokens: 300 },
    }),
  );
  const loaded = loadConfig({ home, configFile: file, env: {} });
  store = await openStore(loaded.config.database, home, { autoMigrateSqlite: true });
  session = await createSession(store, loaded, { endpoints: combineEndpointSources([]) });
});
afterAll(async () => {
  await session.close();
  await store.close();
});

async function play(storyId: string, action: string): Promise<TurnEvent[]> {
  const out: TurnEvent[] = [];
  for await (const e of runTurn({ storyId, action }, session.deps)) out.push(e);
  return out;
}

describe('the pipeline on the real tiny model', () => {
  it('runs two turns end to end, then the Dreamer summarises, embeds and writes image prompts', async () => {
    const story = await store.createStory({ title: 'Lily and the ball', premise: 'Lily finds a big red ball in the park.' });
    for (const action of ['Lily picks up the ball', 'Lily throws the ball to her friend']) {
      const events = await play(story.id, action);
      const last = events.at(-1)!;
      expect(last.type, JSON.stringify(last)).toBe('done');
      const plan = events.find((e) => e.type === 'plan-ready');
      expect(plan && beatPlanSchema.safeParse(plan.plan).success).toBe(true);
      const tokens = events.filter((e) => e.type === 'prose-token');
      expect(tokens.length).toBeGreaterThan(1);
      if (last.type === 'done') {
        expect(last.prose.length).toBeGreaterThan(0);
        expect(last.totals.outputTokens).toBeGreaterThan(0);
      }
    }
    expect(await store.countTurns(story.id)).toBe(2);
    const calls = await store.listCalls({ storyId: story.id });
    expect(calls.every((c) => c.provider === 'local' && !c.estimated)).toBe(true);

    const r = await drainJobs(session.deps, { workerId: 'test' });
    expect(r.failed).toBe(0);
    expect(r.done).toBeGreaterThanOrEqual(5);
    const arcs = await store.listArcSummaries(story.id);
    expect(arcs.some((a) => a.kind === 'arc' && a.toDepth === 2)).toBe(true);
    const head = (await store.getStory(story.id))!.headTurnId!;
    const prompts = await store.getImagePrompts([head]);
    expect(prompts[head]?.length ?? 0).toBeGreaterThan(0);
    // Embeddings were stored: a vector search now returns turns of this story.
    const [v] = await session.deps.embed!('Lily ball').then((x) => [x]);
    expect((await store.searchEmbeddings(story.id, v!, 5)).length).toBe(2);
    expect((await store.jobCounts(story.id)).queued).toBe(0);
  });
});
