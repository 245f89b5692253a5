import { describe, expect, it } from 'vitest';
import { planJson } from '../helpers/pipeline-fixture.js';
import { KEY, NO_DREAMER, openFixture, renderApp, waitFor } from './helpers.js';

describe('luna play after a failed /retry', () => {
  it('gives back /retry, so Enter retakes the turn instead of playing its action again as a new one', async () => {
    const fx = await openFixture(NO_DREAMER);
    const story = await fx.store.createStory({ title: 'Retake', premise: 'p' });
    fx.strategist.setDefault({ kind: 'json', value: planJson({ factChanges: [], entities: [] }) });
    fx.writer.script({ kind: 'text', chunks: ['First take.'] }, { kind: 'error', status: 500 }, { kind: 'text', chunks: ['Second take.'] });
    const app = renderApp(fx, { kind: 'open', id: story.id });
    await app.waitFor((f) => f.includes('LUNA · Retake'), 'the story screen');
    await app.type('I run to the boat');
    await app.press(KEY.enter);
    await app.waitFor((f) => f.includes('First take.') && f.includes('session 1 turn '), 'the first take');
    const first = (await fx.store.getStory(story.id))!.headTurnId!;

    await app.type('/retry');
    await app.press(KEY.enter);
    await app.waitFor((f) => f.includes('✗ ') && /› \/retry/.test(f), 'the failed retake, with /retry back in the input');
    expect(app.frame()).toContain('First take.'); // the turn being retaken is shown again
    await app.press(KEY.enter);
    await app.waitFor((f) => f.includes('Second take.') && !f.includes('First take.'), 'the retake');
    const head = await fx.store.getTurn((await fx.store.getStory(story.id))!.headTurnId!);
    expect(head?.parentId).toBe((await fx.store.getTurn(first))?.parentId ?? null); // a sibling, not a child
    expect(await fx.store.countTurns(story.id)).toBe(2);
  });
});

describe('the status bar session figures', () => {
  it('count the Dreamer calls that run after the turn, as /cost and the ledger do', async () => {
    const fx = await openFixture(); // in-process Dreamer
    const story = await fx.store.createStory({ title: 'Spend', premise: 'p' });
    fx.strategist.setDefault({ kind: 'json', value: planJson(), usage: { prompt_tokens: 900, completion_tokens: 120 } });
    fx.writer.setDefault({ kind: 'text', chunks: ['Maren waits by the lamp.'], usage: { prompt_tokens: 400, completion_tokens: 30 } });
    const app = renderApp(fx, { kind: 'open', id: story.id });
    await app.waitFor((f) => f.includes('LUNA · Spend'), 'the story screen');
    await app.type('wait');
    await app.press(KEY.enter);
    await app.waitFor((f) => f.includes('Maren waits by the lamp.'), 'the turn');
    await waitFor(() => app.frame().includes('dreamer 0 queued') && !app.frame().includes('(working)'), 'the queue to drain');
    const calls = await fx.store.listCalls({ storyId: story.id });
    expect(calls.some((c) => c.agent === 'dreamer')).toBe(true);
    const tokens = calls.reduce((n, c) => n + c.inputTokens + c.outputTokens, 0);
    await app.waitFor((f) => f.includes(`session 1 turn · ${tokens} tok`), `the status bar to show all ${tokens} tokens of the session`);
  });
});
