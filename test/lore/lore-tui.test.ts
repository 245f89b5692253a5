import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contextSchema, type LunaConfig } from '../../src/config/schema.js';
import { openStore } from '../../src/store/open.js';
import type { Store, Story } from '../../src/store/types.js';
import { parseInput } from '../../src/tui/commands.js';
import { loreCommand, lorePanel } from '../../src/tui/lore-panel.js';

/** `/lore` in play over a real SQLite store: the panel says what the draft action would trigger; quick edits by number. */
let store: Store;
let story: Story;
const config = { context: contextSchema.parse({}) } as LunaConfig;
beforeAll(async () => {
  const home = mkdtempSync(path.join(tmpdir(), 'luna-lore-tui-'));
  store = await openStore({ url: `sqlite:${path.join(home, 't.db')}`, poolSize: 1 }, home, { autoMigrateSqlite: true });
  story = await store.createStory({ title: 'Harbour', premise: 'A keeper.' });
});
afterAll(async () => {
  await store.close();
});

describe('/lore', () => {
  it('parses as a command that takes arguments', () => {
    expect(parseInput('/lore add Chapel: bells')).toEqual({ kind: 'command', name: 'lore', args: ['add', 'Chapel:', 'bells'] });
  });

  it('adds, shows what the draft triggers, switches entries off and removes them', async () => {
    expect(await loreCommand(store, story, ['add', 'Drowned', 'Chapel:', 'Its', 'bell', 'rings.'])).toMatch(/added lore "Drowned Chapel"/);
    await loreCommand(store, story, ['add', 'Guild:', 'Masons.']);
    let panel = await lorePanel(store, story, config, 'I enter the drowned chapel');
    expect(panel.title).toBe('lore of "Harbour" (2)');
    expect(panel.lines[0]).toMatch(/^ {2}1\. IN {5}Drowned Chapel — keys: \(title\)/);
    expect(panel.lines[1]).toContain('key "Drowned Chapel" in the action');
    expect(panel.lines.some((l) => /^ {2}2\. {8}Guild/.test(l))).toBe(true);
    expect(await loreCommand(store, story, ['off', '1'])).toBe('lore "Drowned Chapel" is off');
    panel = await lorePanel(store, story, config, 'I enter the drowned chapel');
    expect(panel.lines[0]).toMatch(/^ {2}1\. off/);
    await expect(loreCommand(store, story, ['rm', '7'])).rejects.toThrow('/lore rm needs an entry number from 1 to 2, found "7"');
    await expect(loreCommand(store, story, ['add', 'no colon'])).rejects.toThrow('/lore add needs "Title: text"');
    await expect(loreCommand(store, story, ['add', 'guild: again'])).rejects.toThrow(/already has a lore entry "Guild"/);
    expect(await loreCommand(store, story, ['rm', '2'])).toBe('removed lore "Guild"');
    expect((await store.listLore(story.id)).map((l) => l.title)).toEqual(['Drowned Chapel']);
  });
});
