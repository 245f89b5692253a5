import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { z } from 'zod';
import { loadConfig } from '../../src/config/load.js';
import { combineEndpointSources } from '../../src/models/endpoints.js';
import { drainJobs } from '../../src/pipeline/dreamer.js';
import { EXTRACT_LIMITS, extractFactsRequest, extractionChanges, parseExtraction } from '../../src/pipeline/extract-facts.js';
import { writeDreamerMemory } from '../../src/pipeline/dreamer-memory.js';
import { createSession, type Session } from '../../src/runtime/session.js';
import { openStore } from '../../src/store/open.js';
import type { Store } from '../../src/store/types.js';
import { TINY_MODEL } from '../helpers/pipeline-fixture.js';
import { addTurn } from '../store/fixtures.js';

/**
 * extract-facts on the real TinyStories GGUF (node-llama-cpp, one thread). The model cannot follow the
 * instructions, so what it says is nonsense; what is tested is that the JSON grammar holds it to the schema
 * and that whatever it names lands in the store tied to the source turn.
 */
let store: Store;
let session: Session;

beforeAll(async () => {
  const home = mkdtempSync(path.join(tmpdir(), 'luna-tiny-facts-'));
  const file = path.join(home, 'tiny.yaml');
  writeFileSync(file, stringify({
    models: { tiny: { provider: 'local', path: TINY_MODEL, threads: 1, contextSize: 1024 } },
    agents: {
      preprocessor: { model: 'tiny' }, strategist: { model: 'tiny' }, writer: { model: 'tiny' },
      dreamer: { model: 'tiny', maxTokens: 400, imagePrompts: false, inProcess: false },
    },
  }));
  const loaded = loadConfig({ home, configFile: file, env: {} });
  store = await openStore(loaded.config.database, home, { autoMigrateSqlite: true });
  session = await createSession(store, loaded, { endpoints: combineEndpointSources([]) });
});
afterAll(async () => {
  await session?.close();
  await store?.close();
});

const bounded = (n: number) => z.string().min(1).max(n);
/** The schema as the grammar enforces it: no extra keys, bounded strings and lists. */
const strictShape = z.strictObject({
  entities: z.array(z.strictObject({ name: bounded(EXTRACT_LIMITS.name), kind: z.enum(['character', 'place', 'item', 'faction', 'other']), aliases: z.array(bounded(EXTRACT_LIMITS.alias)).max(EXTRACT_LIMITS.aliases) })).min(1).max(EXTRACT_LIMITS.entities),
  facts: z.array(z.strictObject({ entity: bounded(EXTRACT_LIMITS.name), key: bounded(EXTRACT_LIMITS.key), value: bounded(EXTRACT_LIMITS.value) })).max(EXTRACT_LIMITS.facts),
  relations: z.array(z.strictObject({ from: bounded(EXTRACT_LIMITS.name), relation: bounded(EXTRACT_LIMITS.relation), to: bounded(EXTRACT_LIMITS.name) })).max(EXTRACT_LIMITS.relations),
});

it('the tiny model answers the extraction in the schema, and the job stores what it named with the source turn', async () => {
  const story = await store.createStory({ title: 'Lily', premise: 'Lily finds a big red ball in the park.' });
  const prose = 'Lily hid the red ball under the big tree. Her friend Tom is her brother.';
  const turn = await addTurn(store, story.id, 'Lily plays', prose, { jobs: [{ kind: 'extract-facts' }] });

  // The same request the job sends, answered for real: grammar-constrained JSON of the schema's shape.
  const res = await session.deps.callAgent('dreamer', { ...extractFactsRequest(prose, [], 400), maxTokens: 400 });
  const parsed = parseExtraction(res.text);
  expect(parsed, res.text).not.toBeNull();
  const direct = strictShape.safeParse(JSON.parse(res.text));
  expect(direct.success, `${res.text}\n${JSON.stringify(direct.error?.issues?.[0])}`).toBe(true);

  const tally = await drainJobs(session.deps, { workerId: 'tiny' });
  expect([tally.done, tally.failed]).toEqual([1, 0]);
  const [job] = await store.listJobs({ storyId: story.id });
  expect(job).toMatchObject({ kind: 'extract-facts', turnId: turn.id, state: 'done' });

  // Whatever the model named is in the store, every fact tied to the source turn at its depth.
  const facts = await store.listFacts(story.id);
  for (const f of facts) expect([f.turnId, f.depth]).toEqual([turn.id, 1]);
  const entities = await store.listEntities(story.id);
  expect(entities.length).toBeGreaterThan(0);
  for (const e of entities) expect(e.firstTurnId).toBe(turn.id);
  const expected = extractionChanges(parsed!, []);
  for (const c of expected) if (c.op === 'entity') expect(entities.map((e) => e.name.toLowerCase())).toContain(c.name.toLowerCase());

  // And the write path itself on the model's own output: rows land with the source turn.
  const before = facts.length;
  await writeDreamerMemory(store, story.id, turn.id, expected, { review: false, origin: 'dreamer' });
  const after = await store.listFacts(story.id);
  expect(after.length).toBe(before + expected.filter((c) => c.op === 'fact').length);
  for (const f of after) expect(f.turnId).toBe(turn.id);
  expect(JSON.stringify(expected)).not.toBe('[]');
}, 240_000);
