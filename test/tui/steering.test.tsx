import { describe, expect, it } from 'vitest';
import { planJson } from '../helpers/pipeline-fixture.js';
import { KEY, NO_DREAMER, openFixture, renderApp } from './helpers.js';

/** The TUI's steering commands over the real pipeline: /note, /continue, /ooc, /edit, /retry D and /takes. */
const lastUser = (reqs: { path: string; body: any }[]) => String(reqs.filter((r) => r.path === '/v1/chat/completions').at(-1)!.body.messages.at(-1).content);

async function setup(title: string) {
  const fx = await openFixture(NO_DREAMER);
  const story = await fx.store.createStory({ title, premise: 'p' });
  fx.strategist.setDefault({ kind: 'json', value: planJson({ factChanges: [], entities: [] }) });
  const app = renderApp(fx, { kind: 'open', id: story.id });
  await app.waitFor((f) => f.includes(`LUNA · ${title}`), 'the story screen');
  const enter = async (text: string) => {
    await app.type(text);
    await app.press(KEY.enter);
  };
  return { fx, story, app, enter };
}

describe('luna play: steering', () => {
  it("/note sets the Author's Note; /continue and /ooc play turns without an action, steered", async () => {
    const { fx, story, app, enter } = await setup('Steer');
    fx.writer.script({ kind: 'text', chunks: ['The gulls wheel.'] }, { kind: 'text', chunks: ['Rain comes in.'] }, { kind: 'text', chunks: ['A sail appears.'] });
    await enter('I climb the stair');
    await app.waitFor((f) => f.includes('The gulls wheel.') && f.includes('session 1 turn '), 'the first turn');

    await enter('/note Keep it eerie.');
    await app.waitFor((f) => f.includes("author's note set: Keep it eerie."), 'the note notice');
    expect((await fx.store.getStory(story.id))?.authorNote).toBe('Keep it eerie.');

    await enter('/continue');
    await app.waitFor((f) => f.includes('Rain comes in.'), 'the continued turn');
    const cont = await fx.store.getTurn((await fx.store.getStory(story.id))!.headTurnId!);
    expect(cont).toMatchObject({ action: '', continued: true, depth: 2 });
    const writer = lastUser(fx.writer.requests);
    expect(writer).toContain("[Author's note: Keep it eerie.]");
    expect(writer).toContain('(none: the player asks the story to go on from where it stands)');

    await enter('/ooc the stranger should lie');
    await app.waitFor((f) => f.includes('A sail appears.'), 'the ooc turn');
    expect(lastUser(fx.strategist.requests)).toContain('## Out-of-character instruction (for the plan; not an event in the story)\nthe stranger should lie');
    expect(lastUser(fx.writer.requests)).not.toContain('the stranger should lie');
    const ooc = await fx.store.getTurn((await fx.store.getStory(story.id))!.headTurnId!);
    expect(ooc).toMatchObject({ continued: true, ooc: 'the stranger should lie', depth: 3 });
  });

  it("/edit puts the last turn's prose in the input and Enter saves the new prose", async () => {
    const { fx, story, app, enter } = await setup('Edit');
    fx.writer.script({ kind: 'text', chunks: ['Old words.'] });
    await enter('I wait');
    await app.waitFor((f) => f.includes('Old words.') && f.includes('session 1 turn '), 'the turn');
    await enter('/edit');
    await app.waitFor((f) => f.includes("editing turn 1's prose") && /› Old words\./.test(f), 'the prose in the input');
    for (let i = 0; i < 'Old words.'.length; i++) await app.press(KEY.backspace);
    await enter('New words, by hand.');
    await app.waitFor((f) => f.includes('turn 1 edited') && f.includes('New words, by hand.') && !f.includes('Old words.'), 'the edited turn');
    const head = await fx.store.getTurn((await fx.store.getStory(story.id))!.headTurnId!);
    expect(head).toMatchObject({ prose: 'New words, by hand.', editedAt: expect.any(String) });
    expect((await fx.store.searchTurns(story.id, 'hand', 5)).map((h) => h.turnId)).toEqual([head!.id]);
  });

  it('/retry D retakes a middle turn as a sibling; /takes at D lists the takes and switches back', async () => {
    const { fx, story, app, enter } = await setup('Takes');
    fx.writer.script({ kind: 'text', chunks: ['One.'] }, { kind: 'text', chunks: ['Two.'] }, { kind: 'text', chunks: ['Three.'] }, { kind: 'text', chunks: ['Two again.'] });
    await enter('first');
    await app.waitFor((f) => f.includes('One.') && f.includes('session 1 turn '), 'turn 1');
    await enter('second');
    await app.waitFor((f) => f.includes('Two.') && f.includes('session 2 turns'), 'turn 2');
    await enter('third');
    await app.waitFor((f) => f.includes('Three.') && f.includes('session 3 turns'), 'turn 3');
    const old = await fx.store.getBranch(story.id, (await fx.store.getStory(story.id))!.headTurnId);

    await enter('/retry 2');
    await app.waitFor((f) => f.includes('Two again.') && !f.includes('Three.'), 'the retake of turn 2, on its own branch');
    const retake = await fx.store.getTurn((await fx.store.getStory(story.id))!.headTurnId!);
    expect(retake).toMatchObject({ parentId: old[0]!.id, depth: 2, action: 'second' });

    await enter('/takes at 2');
    await app.waitFor((f) => f.includes('takes of turn 2') && /\* +2\. > second — Two again\./.test(f) && /1\. > second \(\+1 turn\) — Two\./.test(f), 'the takes panel');
    await app.press(KEY.esc);
    await enter('/takes at 2 1');
    await app.waitFor((f) => f.includes('on take 1 of turn 2; the story continues from turn 3') && f.includes('Three.'), 'back on the first take');
    expect((await fx.store.getStory(story.id))?.headTurnId).toBe(old[2]!.id);
  });
});
