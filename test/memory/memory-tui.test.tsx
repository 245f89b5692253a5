import { describe, expect, it } from 'vitest';
import { completeInput, parseInput } from '../../src/tui/commands.js';
import { factCommand, reviewCommand, reviewPanel, splitWords } from '../../src/tui/memory-edit-panel.js';
import { KEY, NO_DREAMER, openFixture, renderApp } from '../tui/helpers.js';

/** /entity, /fact and /review in play: the real App (ink-testing-library) over a real SQLite store. */
async function setup() {
  const fx = await openFixture(NO_DREAMER);
  const story = await fx.store.importStory({
    title: 'The Lighthouse', premise: 'A keeper.',
    entities: [
      { name: 'Captain Mira', kind: 'character', aliases: ['the keeper'], facts: [{ key: 'sword', value: 'rusty', turn: 1 }] },
      { name: 'Gull', kind: 'item' },
    ],
    turns: [{ action: 'look around', prose: 'The lamp is cold.' }, { action: 'climb', prose: 'Stairs wind up.' }],
  });
  return { fx, story };
}

describe('/entity, /fact, /review', () => {
  it('parse as commands with arguments, and Tab lists them', () => {
    expect(parseInput('/fact Mira sword broken')).toEqual({ kind: 'command', name: 'fact', args: ['Mira', 'sword', 'broken'] });
    expect(parseInput('/ent')).toEqual({ kind: 'command', name: 'entity', args: [] });
    expect(completeInput('/f')).toEqual({ text: '/fact ', candidates: ['fact'] });
    expect(completeInput('/e').candidates).toEqual(['edit', 'entity', 'export']);
    expect(completeInput('/rev')).toEqual({ text: '/review ', candidates: ['review'] });
    expect(splitWords(['"Captain', 'Mira"', 'sword', 'a', 'blade'])).toEqual(['Captain Mira', 'sword', 'a', 'blade']);
  });

  it('/fact corrects a fact (history kept), /entity shows it, /fact rm removes it', async () => {
    const { fx, story } = await setup();
    const app = renderApp(fx, { kind: 'open', id: story.id });
    await app.waitFor((f) => f.includes('LUNA · The Lighthouse'), 'the story screen');
    await app.type('/fact Captain Mira sword reforged, gleaming');
    await app.press(KEY.enter);
    await app.waitFor((f) => f.includes('Captain Mira: sword = reforged, gleaming (from turn 2, player)'), 'the fact notice');
    await app.type('/entity the keeper');
    await app.press(KEY.enter);
    await app.waitFor((f) => f.includes('Captain Mira [character] (aka the keeper)') && f.includes('was: sword = rusty (from turn 1, import)'), 'the entity sheet');
    await app.press(KEY.esc);
    await app.type('/fact rm Nobody sword');
    await app.press(KEY.enter);
    await app.waitFor((f) => f.includes('no entity "Nobody"') && /› \/fact rm Nobody sword/.test(f), 'the error, with the line handed back');
    await app.press(KEY.ctrlC);
    await app.type('/fact rm "Captain Mira" sword');
    await app.press(KEY.enter);
    await app.waitFor((f) => f.includes('Captain Mira: sword removed (from turn 2, player)'), 'the removal notice');
    const facts = await fx.store.listFacts(story.id);
    expect(facts.map((f) => [f.value, f.origin, f.removed])).toEqual([['rusty', 'import', false], ['reforged, gleaming', 'player', false], ['', 'player', true]]);
  });

  it('/entity add NAME adds one the story missed, /entity rm NAME removes it; a name taken hands the line back', async () => {
    const { fx, story } = await setup();
    const app = renderApp(fx, { kind: 'open', id: story.id });
    await app.waitFor((f) => f.includes('LUNA · The Lighthouse'), 'the story screen');
    await app.type('/entity add Orrin Vale');
    await app.press(KEY.enter);
    await app.waitFor((f) => f.includes('added Orrin Vale [other]'), 'the add notice');
    await app.type('/entity add the keeper');
    await app.press(KEY.enter);
    await app.waitFor((f) => f.includes('already has "Captain Mira"') && /› \/entity add the keeper/.test(f), 'the error, with the line handed back');
    await app.press(KEY.ctrlC);
    await app.type('/entity rm Gull');
    await app.press(KEY.enter);
    await app.waitFor((f) => f.includes('removed Gull and its 0 fact rows'), 'the removal notice');
    expect((await fx.store.listEntities(story.id)).map((e) => [e.name, e.firstTurnId])).toEqual([['Captain Mira', null], ['Orrin Vale', null]]);
    // A bare /entity still lists them.
    await app.type('/entity');
    await app.press(KEY.enter);
    await app.waitFor((f) => f.includes('entities of "The Lighthouse" (2)') && f.includes('/entity add NAME, /entity rm NAME'), 'the list');
    // Each says who recorded it: the story file's, the player's.
    expect(app.frame()).toMatch(/Captain Mira \[character\] aka the keeper — 1 fact · import/);
    expect(app.frame()).toMatch(/Orrin Vale \[other\] — 0 facts · player/);
  });

  it('/review lists queued changes and accepts or rejects them by number', async () => {
    const { fx, story } = await setup();
    await fx.store.addProposals(story.id, story.headTurnId, 'dreamer', [{ op: 'fact', entity: 'Gull', key: 'owner', value: 'Mira' }, { op: 'entity', name: 'Tern', kind: 'item' }]);
    const app = renderApp(fx, { kind: 'open', id: story.id });
    await app.waitFor((f) => f.includes('LUNA · The Lighthouse'), 'the story screen');
    await app.type('/review');
    await app.press(KEY.enter);
    await app.waitFor((f) => f.includes('1. fact Gull.owner = Mira  (dreamer, turn 2)') && f.includes('2. entity Tern [item]'), 'the review panel');
    await app.press(KEY.esc);
    await app.type('/review accept 1');
    await app.press(KEY.enter);
    await app.waitFor((f) => f.includes('accepted 1 change'), 'the accept notice');
    expect((await fx.store.listFacts(story.id)).find((f) => f.key === 'owner')).toMatchObject({ value: 'Mira', origin: 'dreamer' });
    await expect(reviewCommand(fx.store, story, ['reject', '5'])).rejects.toThrow('/review reject: no change 5 (there is 1)');
    expect(await reviewCommand(fx.store, story, ['reject', 'all'])).toBe('rejected 1 change');
    expect((await reviewPanel(fx.store, story)).lines[0]).toMatch(/^nothing waits for review/);
    await expect(factCommand(fx.store, story, ['Gull'])).rejects.toThrow(/needs more words/);
  });
});
