import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { planJson } from '../helpers/pipeline-fixture.js';
import { KEY, openFixture, renderApp, waitFor } from './helpers.js';

describe('luna play panels and screens', () => {
  it('the picker lists recent stories and starts a new one from a title and premise', async () => {
    const fx = await openFixture();
    await fx.store.createStory({ title: 'Old Tale', premise: 'p1' });
    const app = renderApp(fx, { kind: 'pick' });
    await app.waitFor((f) => f.includes('pick a story') && f.includes('Old Tale — 0 turns'), 'the picker');
    await app.press(KEY.enter); // "+ new story" is first
    await app.waitFor((f) => f.includes('Title:'), 'the new-story form');
    await app.type('Night Ferry');
    await app.press(KEY.enter);
    await app.type('A ferry crosses a black lake.');
    await app.press(KEY.enter);
    await app.waitFor((f) => f.includes('LUNA · Night Ferry') && f.includes('A ferry crosses a black lake.'), 'the new story screen');
    const titles = (await fx.store.listStories()).map((s) => s.title).sort();
    expect(titles).toEqual(['Night Ferry', 'Old Tale']);
  });

  it('runs the in-process Dreamer after a turn without blocking input, and the queue drains', async () => {
    const fx = await openFixture();
    const story = await fx.store.createStory({ title: 'Dreams', premise: 'p' });
    fx.strategist.setDefault({ kind: 'json', value: planJson() });
    fx.writer.setDefault({ kind: 'text', chunks: ['Maren waits by the lamp.'] });
    const app = renderApp(fx, { kind: 'open', id: story.id });
    await app.waitFor((f) => f.includes('LUNA · Dreams'), 'the story screen');
    await app.type('wait');
    await app.press(KEY.enter);
    await app.waitFor((f) => f.includes('Maren waits by the lamp.'), 'the turn');
    // Jobs were queued by the commit and are done by the Dreamer in this process.
    await waitFor(() => Boolean(fx) && app.frame().includes('dreamer 0 queued') && !app.frame().includes('(working)'), 'the queue to drain');
    const jobs = await fx.store.listJobs({ storyId: story.id });
    expect(jobs.length).toBeGreaterThan(0);
    expect(jobs.every((j) => j.state === 'done')).toBe(true);
    const dreamerCalls = await fx.store.listCalls({ storyId: story.id, agent: 'dreamer' });
    expect(dreamerCalls.length).toBeGreaterThan(0);
    await app.type('/jobs');
    await app.press(KEY.enter);
    await app.waitFor((f) => f.includes("── the Dreamer's queue ──") && /done\s+entity-sheet/.test(f), 'the jobs panel');
  });

  it('/memory, /context, /export and /help show real data; side panel toggles and hides on narrow terminals', async () => {
    const fx = await openFixture({ agents: { preprocessor: { model: 'scribe' }, strategist: { model: 'planner' }, writer: { model: 'scribe' }, dreamer: { model: 'scribe', inProcess: false } } });
    const story = await fx.store.createStory({ title: 'Sheets', premise: 'A keeper named Maren.' });
    fx.strategist.setDefault({ kind: 'json', value: planJson() });
    fx.writer.setDefault({ kind: 'text', chunks: ['Maren raises Dawnbreaker.'] });
    const app = renderApp(fx, { kind: 'open', id: story.id });
    await app.waitFor((f) => f.includes('LUNA · Sheets'), 'the story screen');
    await app.type('draw the sword');
    await app.press(KEY.enter);
    await app.waitFor((f) => f.includes('Maren raises Dawnbreaker.') && !f.includes('playing'), 'the turn');

    await app.type('/memory');
    await app.press(KEY.enter);
    await app.waitFor((f) => f.includes('── memory of "Sheets" ──'), 'the memory panel');
    expect(app.frame()).toMatch(/Maren \[character\]/);
    expect(app.frame()).toMatch(/sword: Dawnbreaker, drawn \(turn 1\)/);
    await app.press(KEY.esc);

    await app.type('/context');
    await app.press(KEY.enter);
    await app.waitFor((f) => f.includes('── context for the next turn'), 'the context panel');
    expect(app.frame()).toMatch(/total\s+\d+/);
    expect(app.frame()).toMatch(/budget 3000 tokens/);
    await app.press(KEY.esc);

    await app.type('/export');
    await app.press(KEY.enter);
    await app.waitFor((f) => f.includes('exported 1 turn to'), 'the export notice');
    const dir = path.join(fx.home, 'exports');
    const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
    expect(files).toHaveLength(1);
    const file = path.join(dir, files[0]!);
    // The notice names the file (wrapped over lines of the 89-column story pane).
    const pane = app.frame().split('\n').map((l) => l.slice(0, 89).trimEnd()).join('');
    expect(pane).toContain(file);
    expect(existsSync(file)).toBe(true);
    expect(JSON.parse(readFileSync(file, 'utf8')).turns[0].prose).toBe('Maren raises Dawnbreaker.');
    expect(readFileSync(file.replace(/\.json$/, '.md'), 'utf8')).toContain('> draw the sword');

    await app.type('/help');
    await app.press(KEY.enter);
    await app.waitFor((f) => f.includes('── help ──') && f.includes('/branch'), 'help');
    await app.press(KEY.esc);

    expect(app.frame()).toContain('In play');
    await app.press(KEY.ctrlT);
    await app.waitFor((f) => !f.includes('In play'), 'the side panel to hide');
    await app.press(KEY.ctrlT);
    await app.waitFor((f) => f.includes('In play'), 'the side panel back');
  });

  it('wraps prose to the width and re-wraps on resize; narrow terminals hide the side panel', async () => {
    const fx = await openFixture();
    const long = 'The tide came in over the black rocks while the lamp turned slowly above them, and Maren counted every beam.';
    const story = await fx.store.importStory({ title: 'Wrap', premise: 'p', turns: [{ action: 'watch', prose: long }] });
    const wide = renderApp(fx, { kind: 'open', id: story.id }, { columns: 120, rows: 20 });
    await wide.waitFor((f) => f.includes('LUNA · Wrap') && f.includes('every beam.'), 'wide screen');
    const wideLines = wide.frame().split('\n');
    expect(wideLines.every((l) => l.length <= 120)).toBe(true);
    expect(wide.frame()).toContain('In play');
    wide.ui.unmount();
    const narrow = renderApp(fx, { kind: 'open', id: story.id }, { columns: 40, rows: 20 });
    await narrow.waitFor((f) => f.includes('LUNA · Wrap') && f.includes('every beam.'), 'narrow screen');
    const f = narrow.frame();
    expect(f).not.toContain('In play');
    expect(f.split('\n').every((l) => l.length <= 40)).toBe(true);
    // Every word survives wrapping, in order.
    const prose = f.split('\n').filter((l) => !l.startsWith('LUNA') && !l.startsWith('>') && !l.startsWith('›') && !/tok|dreamer|scribe/.test(l)).join(' ');
    expect(prose.replace(/\s+/g, ' ')).toContain(long);
  });
});
