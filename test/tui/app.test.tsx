import { describe, expect, it } from 'vitest';
import { planJson } from '../helpers/pipeline-fixture.js';
import { KEY, NO_DREAMER, openFixture, renderApp, waitFor } from './helpers.js';

async function setup(extra: Record<string, unknown> = NO_DREAMER) {
  const fx = await openFixture(extra);
  const story = await fx.store.createStory({ title: 'The Lighthouse', premise: 'A keeper named Maren finds a stranger on the rocks.' });
  return { fx, story };
}

describe('luna play screen over the real pipeline', () => {
  it('streams prose into the story pane while the Writer produces it, then updates the status bar and side panel', async () => {
    const { fx, story } = await setup();
    fx.strategist.script({ kind: 'json', value: planJson(), usage: { prompt_tokens: 900, completion_tokens: 120 } });
    fx.writer.script({ kind: 'text', chunks: ['Maren lifts ', 'Dawnbreaker ', 'toward the ', 'stranger.'], delayMs: 120, usage: { prompt_tokens: 1500, completion_tokens: 40 } });
    const app = renderApp(fx, { kind: 'open', id: story.id });
    await app.waitFor((f) => f.includes('LUNA · The Lighthouse') && f.includes('A keeper named Maren'), 'the story screen');
    await app.waitFor((f) => f.includes('● scribe') && f.includes('● planner'), 'endpoint pings');
    await app.type('I ask the stranger who sent him');
    await app.press(KEY.enter);
    // A frame with part of the prose but not all of it: tokens arrive as they stream.
    await app.waitFor((f) => f.includes('Maren lifts') && !f.includes('stranger.'), 'partial prose');
    expect(app.frame()).toContain('playing (Esc cancels)');
    await app.waitFor((f) => f.includes('Maren lifts Dawnbreaker toward the stranger.') && f.includes('session 1 turn '), 'the finished turn');
    const f = app.frame();
    // 900×$1/M + 120×$5/M on the Strategist, the Writer is free.
    expect(f).toContain('$0.0015');
    expect(f).toContain('2560 tok');
    expect(f).toMatch(/☺ Maren/);
    expect(f).toMatch(/writer\s+\d/);
    expect(f).toContain('> I ask the stranger who sent him');
    const saved = await fx.store.getStory(story.id);
    expect((await fx.store.getTurn(saved!.headTurnId!))?.prose).toBe('Maren lifts Dawnbreaker toward the stranger.');
  });

  it('Esc mid-stream cancels: no partial turn in the database and the action is back in the input', async () => {
    const { fx, story } = await setup();
    fx.strategist.script({ kind: 'json', value: planJson() });
    fx.writer.script({ kind: 'text', chunks: ['one ', 'two ', 'three ', 'four ', 'five ', 'six'], delayMs: 200 });
    const app = renderApp(fx, { kind: 'open', id: story.id });
    await app.waitFor((f) => f.includes('LUNA · The Lighthouse'), 'the story screen');
    await app.type('run for the boat');
    await app.press(KEY.enter);
    await app.waitFor((f) => f.includes('one two'), 'streaming prose');
    await app.press(KEY.esc);
    // The input is restored one render after the notice (an effect): wait for both, not the first alone.
    await app.waitFor((f) => f.includes('turn cancelled; the story is unchanged') && /› run for the boat/.test(f), 'the cancel notice and the action back in the input');
    expect(await fx.store.countTurns(story.id)).toBe(0);
    expect((await fx.store.getStory(story.id))?.headTurnId).toBeNull();
    // The session stays usable: the restored action plays on Enter.
    fx.strategist.script({ kind: 'json', value: planJson() });
    fx.writer.script({ kind: 'text', chunks: ['They row out.'] });
    await app.press(KEY.enter);
    await app.waitFor((f) => f.includes('They row out.') && f.includes('session 1 turn '), 'the replayed turn');
    expect(await fx.store.countTurns(story.id)).toBe(1);
  });

  it('an endpoint failure shows inline with its hint, and the next turn works', async () => {
    const { fx, story } = await setup();
    fx.strategist.script({ kind: 'json', value: planJson() });
    fx.writer.script({ kind: 'error', status: 500 });
    const app = renderApp(fx, { kind: 'open', id: story.id });
    await app.waitFor((f) => f.includes('LUNA · The Lighthouse'), 'the story screen');
    await app.type('open the door');
    await app.press(KEY.enter);
    await app.waitFor((f) => f.includes('✗ '), 'an inline error');
    expect(app.frame()).toMatch(/hint: /);
    await app.waitFor((f) => /› open the door/.test(f), 'the action back in the input');
    expect(await fx.store.countTurns(story.id)).toBe(0);
    fx.strategist.script({ kind: 'json', value: planJson() });
    fx.writer.script({ kind: 'text', chunks: ['The door creaks.'] });
    await app.press(KEY.enter);
    await app.waitFor((f) => f.includes('The door creaks.'), 'the next turn');
  });

  it('/undo, /retry, /branch, /cost and Tab completion act on the store', async () => {
    const { fx, story } = await setup();
    fx.strategist.setDefault({ kind: 'json', value: planJson({ factChanges: [], entities: [] }) });
    fx.writer.script({ kind: 'text', chunks: ['First prose.'] }, { kind: 'text', chunks: ['Second prose.'] }, { kind: 'text', chunks: ['Second, again.'] });
    const app = renderApp(fx, { kind: 'open', id: story.id });
    await app.waitFor((f) => f.includes('LUNA · The Lighthouse'), 'the story screen');
    await app.type('look around');
    await app.press(KEY.enter);
    await app.waitFor((f) => f.includes('First prose.') && !f.includes('playing'), 'turn 1');
    await app.type('climb the stairs');
    await app.press(KEY.enter);
    await app.waitFor((f) => f.includes('Second prose.') && !f.includes('playing'), 'turn 2');
    const t2 = (await fx.store.getStory(story.id))!.headTurnId!;

    await app.type('/ret');
    await app.press(KEY.tab);
    await app.waitFor((f) => f.includes('› /retry'), 'tab completion');
    await app.press(KEY.enter);
    await app.waitFor((f) => f.includes('Second, again.') && !f.includes('Second prose.') && !f.includes('playing'), 'the retake');
    const t2b = (await fx.store.getStory(story.id))!.headTurnId!;
    expect(t2b).not.toBe(t2);
    expect((await fx.store.getTurn(t2b))?.parentId).toBe((await fx.store.getTurn(t2))?.parentId);

    await app.type('/undo');
    await app.press(KEY.enter);
    await app.waitFor((f) => f.includes('undid turn 2') && !f.includes('Second, again.') && /› climb the stairs/.test(f), 'undo, with the action back in the input');
    expect((await fx.store.getTurn((await fx.store.getStory(story.id))!.headTurnId!))?.prose).toBe('First prose.');

    await app.press(KEY.ctrlC); // clears the restored input
    await app.type('/branch');
    await app.press(KEY.enter);
    await app.waitFor((f) => f.includes('── branches ──'), 'the branch list');
    // Two takes of one action: the start of each tip's prose tells them apart.
    expect(app.frame()).toMatch(/1\. 2 turns — climb the stairs → "Second prose\."/);
    expect(app.frame()).toMatch(/2\. 2 turns — climb the stairs → "Second, again\."/);
    await app.type('/branch 1');
    await app.press(KEY.enter);
    await app.waitFor((f) => f.includes('switched to branch 1'), 'branch switch');
    const head = (await fx.store.getStory(story.id))!.headTurnId!;
    expect([t2, t2b]).toContain(head);
    expect(app.frame()).toContain((await fx.store.getTurn(head))!.prose);

    await app.type('/cost');
    await app.press(KEY.enter);
    await app.waitFor((f) => f.includes('── spend per agent ──'), 'the cost panel');
    const strategistCalls = (await fx.store.listCalls({ storyId: story.id, agent: 'strategist' })).length;
    expect(strategistCalls).toBe(3);
    expect(app.frame()).toMatch(new RegExp(`strategist\\s+${strategistCalls}\\s`));
    await app.press(KEY.esc);
    await app.waitFor((f) => !f.includes('── spend per agent ──'), 'closing the panel');
  });

  it('an action or /undo sent while the finished turn is still being filed waits for it instead of being refused', async () => {
    const { fx, story } = await setup();
    fx.strategist.setDefault({ kind: 'json', value: planJson({ factChanges: [], entities: [] }) });
    fx.writer.script({ kind: 'text', chunks: ['First prose.'] }, { kind: 'text', chunks: ['Second prose.'] });
    // The same real store, with its queue count slowed down: the bookkeeping after a turn (reload the story,
    // count the queue, check the budget) then outlasts the frame that shows the turn as done.
    let slow = false;
    const store = new Proxy(fx.store, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver);
        if (prop !== 'jobCounts' || typeof v !== 'function') return typeof v === 'function' ? v.bind(target) : v;
        return async (...args: unknown[]) => {
          if (slow) await new Promise((r) => setTimeout(r, 400));
          return v.apply(target, args);
        };
      },
    });
    const app = renderApp({ ...fx, store }, { kind: 'open', id: story.id });
    await app.waitFor((f) => f.includes('LUNA · The Lighthouse'), 'the story screen');
    slow = true;
    await app.type('look around');
    await app.press(KEY.enter);
    await app.waitFor((f) => f.includes('First prose.') && f.includes('session 1 turn '), 'turn 1 on screen');
    await app.type('climb the stairs');
    await app.press(KEY.enter);
    await app.waitFor((f) => f.includes('Second prose.') && f.includes('session 2 turns'), 'turn 2, not a refusal');
    expect(app.frame()).not.toContain('a turn is still running');
    await app.type('/undo');
    await app.press(KEY.enter);
    await app.waitFor((f) => f.includes('undid turn 2'), 'undo, not a refusal');
    expect(app.frame()).not.toContain('a turn is running');
    const head = await fx.store.getTurn((await fx.store.getStory(story.id))!.headTurnId!);
    expect(head?.prose).toBe('First prose.');
    expect(await fx.store.countTurns(story.id)).toBe(2);
  });

  it('Ctrl-C at an empty prompt asks first and quits on the second press', async () => {
    const { fx, story } = await setup();
    const app = renderApp(fx, { kind: 'open', id: story.id });
    await app.waitFor((f) => f.includes('LUNA · The Lighthouse'), 'the story screen');
    await app.press(KEY.ctrlC);
    await app.waitFor((f) => f.includes('press Ctrl-C again to quit'), 'the quit prompt');
    await app.press('x');
    await app.waitFor((f) => !f.includes('press Ctrl-C again to quit'), 'disarming');
    await app.press(KEY.backspace);
    await app.press(KEY.ctrlC);
    await app.waitFor((f) => f.includes('press Ctrl-C again to quit'), 'the quit prompt again');
    expect(app.quitted()).toBe(false);
    await app.press(KEY.ctrlC);
    await waitFor(() => app.quitted(), 'the app to quit');
  });
});

describe('budget warnings in the status bar', () => {
  it('a soft limit reached by a turn shows a warning; the next turn still plays', async () => {
    const { fx, story } = await setup({ ...NO_DREAMER, cost: { budgets: { accounts: { local: { period: 'month', softUsd: 0.001, hardUsd: 1 } } } } });
    fx.strategist.setDefault({ kind: 'json', value: planJson(), usage: { prompt_tokens: 900, completion_tokens: 120 } });
    fx.writer.setDefault({ kind: 'text', chunks: ['The lamp burns.'] });
    const app = renderApp(fx, { kind: 'open', id: story.id });
    await app.waitFor((f) => f.includes('LUNA · The Lighthouse'), 'the story screen');
    expect(app.frame()).not.toContain('budget');
    await app.type('I trim the wick');
    await app.press(KEY.enter);
    // $0.0015 spent against a $0.001 soft limit.
    await app.waitFor((f) => f.includes('⚠ budget') && f.includes('soft limit $0.0010'), 'the soft-limit warning');
    await app.type('I wait for dawn');
    await app.press(KEY.enter);
    await app.waitFor((f) => f.includes('session 2 turns'), 'a second turn despite the soft limit');
  });
});
