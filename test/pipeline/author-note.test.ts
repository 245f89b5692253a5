import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contextSchema } from '../../src/config/schema.js';
import { curateContext } from '../../src/pipeline/preprocessor.js';
import { openStore } from '../../src/store/open.js';
import type { Store, Story } from '../../src/store/types.js';
import { chain } from '../store/fixtures.js';

/** Where the Preprocessor puts the Author's Note for each context.authorNoteDepth, and what the viewer reports. */
let store: Store;
let story: Story;
beforeAll(async () => {
  const home = mkdtempSync(path.join(tmpdir(), 'luna-note-'));
  store = await openStore({ url: `sqlite:${path.join(home, 'n.db')}`, poolSize: 1 }, home, { autoMigrateSqlite: true });
  const st = await store.createStory({ title: 'Depths', premise: 'p' });
  await chain(store, st.id, 5, 'step');
  story = (await store.setAuthorNote(st.id, 'Keep it eerie.'))!;
});
afterAll(async () => {
  await store?.close();
});

const NOTE = "[Author's note: Keep it eerie.]";
const curate = (over: Record<string, unknown>, notes = { story: story.authorNote, turn: '' }) =>
  curateContext({ store, story, headId: story.headTurnId, action: 'I wait', notes, config: contextSchema.parse(over) });

describe("the Author's Note in the curated context", () => {
  it('depth 1 is the last section, right before the action; depth n sits before the (n-1)th latest turn', async () => {
    const one = await curate({});
    expect(one.text.endsWith(`## Author's note\n${NOTE}`)).toBe(true);
    expect(one.context.authorNote).toEqual({ depth: 1, placement: 'just before the player action', text: NOTE, tokens: expect.any(Number), included: true });

    const two = await curate({ authorNoteDepth: 2 });
    expect(two.text.indexOf(NOTE)).toBeGreaterThan(two.text.indexOf('[turn 4]'));
    expect(two.text.indexOf(NOTE)).toBeLessThan(two.text.indexOf('[turn 5]'));
    expect(two.context.authorNote?.placement).toBe('before turn 5');

    const three = await curate({ authorNoteDepth: 3 });
    expect(three.text.indexOf(NOTE)).toBeLessThan(three.text.indexOf('[turn 4]'));
    expect(three.text.indexOf(NOTE)).toBeGreaterThan(three.text.indexOf('[turn 3]'));

    // Deeper than the 3 recent turns shown: before the oldest of them.
    const deep = await curate({ authorNoteDepth: 9 });
    expect(deep.text.indexOf(NOTE)).toBeLessThan(deep.text.indexOf('[turn 3]'));
    expect(deep.text.indexOf(NOTE)).toBeGreaterThan(deep.text.indexOf('## Most recent turns'));
    expect(deep.context.authorNote?.placement).toBe('before turn 3 (the oldest recent turn shown)');

    // No recent turns to go between: its own section, at the end.
    const none = await curate({ authorNoteDepth: 4, recentTurns: 0 });
    expect(none.text.endsWith(`## Author's note\n${NOTE}`)).toBe(true);
  });

  it("adds the turn's own note; nothing at all without notes; survives a tight budget; packed for the Strategist too", async () => {
    const both = await curate({}, { story: 'Keep it eerie.', turn: 'a gull cries' });
    expect(both.text.endsWith(`${NOTE}\n[Note for this turn: a gull cries]`)).toBe(true);
    const bare = await curate({}, { story: '', turn: '' });
    expect(bare.text).not.toContain('note');
    expect(bare.context.authorNote).toBeUndefined();
    const tight = await curate({ budgetTokens: 200, strategistBudgetTokens: 100 });
    expect(tight.text).toContain(NOTE);
    expect(tight.strategistText).toContain(NOTE);
    expect(tight.context.authorNote?.included).toBe(true);
  });
});
