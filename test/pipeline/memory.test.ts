import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateStory, type GeneratedStory } from '../../bench/story-gen.js';
import { contextSchema } from '../../src/config/schema.js';
import { curateContext } from '../../src/pipeline/preprocessor.js';
import { openStore } from '../../src/store/open.js';
import type { Store, Story } from '../../src/store/types.js';
import { estimateTokens } from '../../src/util/tokens.js';

/**
 * The long-story memory suite: a 400-turn story with facts planted 20–350 turns before the probe,
 * some stated only in prose (found by retrieval), some structured (entity sheets), some later changed.
 */
const TURNS = 400;
let store: Store;
let story: Story;
let gen: GeneratedStory;
const config = contextSchema.parse({});

beforeAll(async () => {
  const home = mkdtempSync(path.join(tmpdir(), 'luna-mem-'));
  store = await openStore({ url: `sqlite:${path.join(home, 'mem.db')}`, poolSize: 1 }, home, { autoMigrateSqlite: true });
  const specs = [20, 50, 100, 150, 200, 250, 300, 350].flatMap((d, i) => [
    { turn: TURNS - d, structured: true },
    { turn: TURNS - d - 1, structured: false },
    ...(i % 3 === 0 ? [{ turn: TURNS - d - 2, structured: true, change: Math.min(TURNS - 5, TURNS - d + 10) }] : []),
  ]);
  gen = generateStory({ turns: TURNS, facts: specs, seed: 11 });
  story = await store.importStory(gen.bundle);
});
afterAll(async () => {
  await store.close();
});

describe('memory over hundreds of turns', () => {
  it('recalls planted facts at every distance, inside the budget, with ≥ 96% compression', async () => {
    const probes = gen.facts.filter((f) => !f.supersededAt);
    let recalled = 0;
    const misses: string[] = [];
    for (const f of probes) {
      const { context, text } = await curateContext({ store, story, headId: story.headTurnId, action: f.probe, config });
      expect(context.totalTokens).toBeLessThanOrEqual(config.budgetTokens);
      expect(estimateTokens(text)).toBeLessThanOrEqual(config.budgetTokens + 40); // + section headings
      expect(context.compression).toBeGreaterThanOrEqual(0.96);
      if (text.includes(f.expect)) recalled++;
      else misses.push(`${f.entity}.${f.key} @${f.turn} (${f.structured ? 'sheet' : 'prose'})`);
    }
    expect(misses).toEqual([]);
    expect(recalled).toBe(probes.length);
  });

  it('presents a changed fact at its current value, keeping the old one only as history', async () => {
    const changed = gen.facts.filter((f) => f.supersededAt && f.structured);
    expect(changed.length).toBeGreaterThan(0);
    for (const old of changed) {
      const { text } = await curateContext({ store, story, headId: story.headTurnId, action: old.probe, config });
      const sheetLine = text.split('\n').find((l) => l.startsWith(`- ${old.key}:`));
      expect(sheetLine, `sheet line for ${old.entity}`).toBeDefined();
      expect(sheetLine).toContain('stolen by Korvin Ashe');
      expect(sheetLine).toContain(`was: ${old.value}`);
    }
  });

  it('memory follows the branch: on a branch cut before a fact was stated, the fact is absent', async () => {
    const fact = gen.facts.find((f) => f.structured && !f.supersededAt && f.turn > 300)!;
    const branch = await store.getBranch(story.id, story.headTurnId);
    const before = branch[fact.turn - 2]!; // the turn before the fact
    const { text } = await curateContext({ store, story, headId: before.id, action: fact.probe, config });
    expect(text).not.toContain(`- ${fact.key}: ${fact.value}`);
    // …while at the head it is there.
    const atHead = await curateContext({ store, story, headId: story.headTurnId, action: fact.probe, config });
    expect(atHead.text).toContain(`- ${fact.key}: ${fact.value}`);
  });

  it('triggers lore by keyword and names the entities in play', async () => {
    const { context, text } = await curateContext({ store, story, headId: story.headTurnId, action: 'The captain rows out to the drowned chapel', config });
    expect(text).toContain('its bell rings at low tide');
    expect(context.entitiesInPlay).toContain('Maren Vale');
    expect(context.sections.map((s) => s.name)).toEqual(expect.arrayContaining(['premise', 'lore', 'entities', 'recent']));
  });
});
