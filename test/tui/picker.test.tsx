import { describe, expect, it } from 'vitest';
import { KEY, openFixture, renderApp } from './helpers.js';

describe('the story picker', () => {
  it('keeps each story\'s turn count and id visible on a narrow terminal, cutting the title instead', async () => {
    const fx = await openFixture();
    const a = await fx.store.createStory({ title: 'The Lighthouse Keeper and the Stranger on the Rocks, part one', premise: 'p' });
    const b = await fx.store.createStory({ title: 'The Lighthouse Keeper and the Stranger on the Rocks, part two', premise: 'p' });
    const app = renderApp(fx, { kind: 'pick' }, { columns: 60, rows: 20 });
    await app.waitFor((f) => f.includes('pick a story') && f.split('\n').filter((l) => l.includes('turns ·')).length === 2, 'the picker with both stories');
    const rows = app.frame().split('\n').filter((l) => l.includes('turns ·'));
    expect(rows).toHaveLength(2);
    for (const r of rows) expect(r.trimEnd().length).toBeLessThanOrEqual(60);
    expect(rows.some((r) => r.endsWith(a.id.slice(0, 8)))).toBe(true);
    expect(rows.some((r) => r.endsWith(b.id.slice(0, 8)))).toBe(true);
    expect(rows.every((r) => /^ {2}The Lighthouse \S*… — 0 turns · /.test(r))).toBe(true);
  });

  it('says why Enter does nothing on an empty field, and Backspace takes a whole emoji', async () => {
    const fx = await openFixture();
    const app = renderApp(fx, { kind: 'pick' });
    await app.waitFor((f) => f.includes('pick a story'), 'the picker');
    await app.press(KEY.enter); // "+ new story"
    await app.waitFor((f) => f.includes('Title:'), 'the new-story form');
    await app.press(KEY.enter);
    await app.waitFor((f) => f.includes('a title is needed'), 'the reason');
    await app.type('Fox 🦊🦊');
    await app.press(KEY.backspace);
    await app.waitFor((f) => /Title: {3}Fox 🦊\s*$/m.test(f) && !f.includes('a title is needed'), 'one emoji gone, whole');
    await app.press(KEY.enter);
    await app.type('A fox in the snow.');
    await app.press(KEY.enter);
    await app.waitFor((f) => f.includes('LUNA · Fox 🦊'), 'the new story');
    expect((await fx.store.listStories()).map((s) => s.title)).toEqual(['Fox 🦊']);
  });
});
