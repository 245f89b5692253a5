import { describe, expect, it } from 'vitest';
import { planJson } from '../helpers/pipeline-fixture.js';
import { render } from 'ink-testing-library';
import { SidePanel } from '../../src/tui/components/side-panel.js';
import { initialState } from '../../src/tui/state.js';
import { makeTheme } from '../../src/tui/theme.js';
import { cellWidth, wrapText } from '../../src/tui/wrap.js';
import { KEY, NO_DREAMER, openFixture, renderApp } from './helpers.js';

const ARC =
  'Maren has kept the lighthouse alone since the storm that took her brother, and the stranger on the rocks carries his compass. ' +
  'Tobin the ferryman warns her that the Archivist wants the logbook burned before the equinox. ' +
  'Tonight the chapel bell rings out over the harbour for the first time in ten years.';

// The side panel: 30 columns at the right of a 110-column screen, one of border and one of padding.
const PANE_WIDTH = 110 - 30 - 1;
const INNER = 28;
const HEADERS = ['In play', 'Places', 'Arc', 'Last turn'];

/** The side panel's rows in the App's frame: the text right of its border, on the pane's lines (below the title). */
function sideRows(frame: string, height: number): string[] {
  const lines = frame.split('\n').slice(1, 1 + height);
  return lines.map((l) => (l[PANE_WIDTH] === '│' ? l.slice(PANE_WIDTH + 2).trimEnd() : `(no border) ${l}`));
}

/** Why a row is not a whole row the panel meant to draw (null when it is). */
function badRow(row: string, intended: string[]): string | null {
  if (cellWidth(row) > INNER) return 'wider than the panel';
  if (HEADERS.includes(row) || intended.includes(row)) return null;
  if (/^… \d+ more$/.test(row) || /^total \S+ \(\d stages\)$/.test(row)) return null;
  if (/^(?:(?:pre|strat|writer|commit)\s+\d\S*)(?: {2}(?:pre|strat|writer|commit)\s+\d\S*)?$/.test(row)) return null;
  if (/^(?:preprocessor|strategist|writer|commit)\s+\d\S*$/.test(row)) return null;
  // A cut row: a prefix of a row it stands for, ending "…" or "+N more".
  const stem = row.replace(/ \+\d+ more$/, '').replace(/ ?…$/, '');
  if (stem !== row && stem.length > 0 && intended.some((r) => r.startsWith(stem))) return null;
  return 'not a whole row';
}

/** Checks the panel's rows are whole rows, sections in order, and nobody in play lost without a count. */
function checkPanel(rows: string[], opts: { people: string[]; places: string[]; height: number }) {
  expect(rows).toHaveLength(opts.height);
  const intended = [...opts.people.flatMap((n) => [`☺ ${n}`, `· ${n}`]), ...opts.places.map((n) => `⌂ ${n}`), ...wrapText(ARC, INNER)];
  const bad = rows.filter((r) => r !== '').map((r) => [r, badRow(r, intended)]).filter(([, why]) => why);
  expect(bad, `side panel rows:\n${rows.join('\n')}`).toEqual([]);
  // Blank rows only after the content.
  const used = rows.findLastIndex((r) => r !== '') + 1;
  expect(rows.slice(0, used).every((r) => r !== '')).toBe(true);
  // The sections come in order, each once, "In play" first.
  const heads = rows.filter((r) => HEADERS.includes(r));
  expect(heads[0]).toBe('In play');
  expect(heads).toEqual(HEADERS.filter((h) => heads.includes(h)));
  // Everyone in play is either shown or counted in a "more".
  const inPlay = rows.slice(rows.indexOf('In play') + 1, heads[1] ? rows.indexOf(heads[1]) : used);
  const shown = inPlay.filter((r) => /^[☺·] /.test(r)).length;
  const more = inPlay.reduce((n, r) => n + Number(/(?:^…|\+)\s*(\d+) more$/.exec(r)?.[1] ?? 0), 0);
  expect(shown + more).toBe(opts.people.length);
  return rows;
}

async function storyWithArc(people: string[], places: string[]) {
  const fx = await openFixture(NO_DREAMER);
  const story = await fx.store.importStory({ title: 'Harbour', premise: 'A keeper named Maren.', turns: [{ action: 'look', prose: 'The lamp turns.' }] });
  const head = (await fx.store.getStory(story.id))!.headTurnId!;
  await fx.store.addArcSummary({ storyId: story.id, toTurnId: head, fromDepth: 1, toDepth: 1, kind: 'arc', summary: ARC });
  const entities = [...people.map((name) => ({ name, kind: 'character' })), ...places.map((name) => ({ name, kind: 'place' }))];
  fx.strategist.setDefault({ kind: 'json', value: planJson({ entities }) });
  fx.writer.setDefault({ kind: 'text', chunks: ['The bell rings.'] });
  return { fx, story };
}

async function playTurn(app: ReturnType<typeof renderApp>) {
  await app.waitFor((f) => f.includes('LUNA · Harbour'), 'the story screen');
  await app.type('listen');
  await app.press(KEY.enter);
  await app.waitFor((f) => f.includes('The bell rings.') && !f.includes('playing'), 'the turn');
}

/** Waits for the screen to stop changing (the arc and timings arrive just after the turn). */
async function settle(app: ReturnType<typeof renderApp>) {
  let last = app.frame();
  let since = Date.now();
  const until = Date.now() + 5000;
  while (Date.now() - since < 300 && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 25));
    const f = app.frame();
    if (f !== last) [last, since] = [f, Date.now()];
  }
}

describe('side panel taller than its pane', () => {
  it('at 110x24 with six characters, two places and a long arc, draws only whole rows', async () => {
    const people = ['Maren', 'Tobin the ferryman', 'the Archivist', '月光の娘 Tsukiko of the Long Harbour', 'the Stranger', 'Old Wenna'];
    const places = ['the chapel', 'the Lighthouse'];
    const { fx, story } = await storyWithArc(people, places);
    const app = renderApp(fx, { kind: 'open', id: story.id }, { columns: 110, rows: 24 });
    await playTurn(app);
    // 24 rows less the title, the input line and a two-line status bar.
    const H = 20;
    await settle(app);
    const rows = checkPanel(sideRows(app.frame(), H), { people, places, height: H });
    // Room for everyone and both places; the long name is cut to the panel, counting wide characters as two cells.
    for (const n of ['Maren', 'Tobin the ferryman', 'the Archivist', 'the Stranger', 'Old Wenna']) expect(rows).toContain(`☺ ${n}`);
    expect(rows.some((r) => r.startsWith('☺ 月光の娘 Tsukiko') && r.endsWith('…'))).toBe(true);
    expect(rows).toContain('⌂ the chapel');
    expect(rows).toContain('⌂ the Lighthouse');
    expect(rows).toContain('Maren has kept the');
    expect(rows).toContain('Last turn');
    expect(rows.some((r) => /writer\s+\d/.test(r))).toBe(true);
  });

  it('at 110x12 with one character and two places, draws only whole rows', async () => {
    const people = ['Maren'];
    const places = ['the chapel', 'the Lighthouse'];
    const { fx, story } = await storyWithArc(people, places);
    const app = renderApp(fx, { kind: 'open', id: story.id }, { columns: 110, rows: 12 });
    await playTurn(app);
    const H = 8;
    await settle(app);
    const rows = checkPanel(sideRows(app.frame(), H), { people, places, height: H });
    expect(rows).toContain('☺ Maren');
    expect(rows).toContain('Places');
    expect(rows.some((r) => r.startsWith('Maren has kept the'))).toBe(true);
    expect(rows.some((r) => r.startsWith('⌂ the chapel'))).toBe(true);
  });

  it('the panel alone, with more people and places than fit, at heights from 24 down to 1', () => {
    const people = Array.from({ length: 14 }, (_, i) => `Sailor ${i + 1}`);
    const places = Array.from({ length: 8 }, (_, i) => `Quay ${i + 1}`);
    const state = {
      ...initialState(),
      inPlay: [...people.map((name) => ({ name, kind: 'character' })), ...places.map((name) => ({ name, kind: 'place' }))],
      arc: ARC,
      stageMs: { preprocessor: 3, strategist: 1200, writer: 65_000, commit: 9 },
    };
    for (const height of [24, 20, 12, 8, 5, 3, 2, 1]) {
      const ui = render(<SidePanel state={state} width={30} height={height} theme={makeTheme(false)} />);
      const lines = (ui.lastFrame() ?? '').split('\n');
      ui.unmount();
      const rows = lines.map((l) => (l.startsWith('│') ? l.slice(2).trimEnd() : `(no border) ${l}`));
      if (height >= 2) checkPanel(rows, { people, places, height });
      else expect(rows).toEqual(['']);
      if (height >= 12) expect(rows.some((r) => /^… \d+ more$/.test(r))).toBe(true);
      if (height === 24) expect(rows.filter((r) => r.startsWith('☺'))).toHaveLength(9);
    }
  });
});

/** Presses PageUp until the screen stops changing. */
async function scrollToTop(app: ReturnType<typeof renderApp>) {
  let last = '';
  let same = 0;
  for (let i = 0; i < 200 && same < 5; i++) {
    await app.press(KEY.pageUp);
    await new Promise((r) => setTimeout(r, 20));
    const f = app.frame();
    same = f === last ? same + 1 : 0;
    last = f;
  }
}

describe('story pane scrolled all the way up', () => {
  const PREMISE = 'The premise: a keeper named Maren and a lamp that must never go out.';
  const prose = (i: number) => `Turn ${i}: the sea rolls in grey and slow, and the lamp turns above the rocks while Maren writes in the log.`;

  it('shows the premise at the top, with the "more below" bar at the bottom of the pane', async () => {
    const fx = await openFixture(NO_DREAMER);
    const turns = Array.from({ length: 8 }, (_, i) => ({ action: `wait ${i + 1}`, prose: prose(i + 1) }));
    const story = await fx.store.importStory({ title: 'Scroll', premise: PREMISE, turns });
    const app = renderApp(fx, { kind: 'open', id: story.id }, { columns: 80, rows: 16 });
    await app.waitFor((f) => f.includes('LUNA · Scroll') && f.includes('Turn 8:'), 'the story screen');
    expect(app.frame()).not.toContain(PREMISE);
    await scrollToTop(app);
    const lines = app.frame().split('\n');
    expect(lines[1]).toBe(PREMISE);
    // The pane is rows 1..12 (16 rows less title, input and a two-line status bar); its last row is the bar.
    expect(lines[12]).toMatch(/↓ \d+ more lines below/);
    expect(lines.filter((l) => l.includes('more lines below'))).toHaveLength(1);
  });

  it('in a story longer than the first page, loads earlier turns and reaches the premise', async () => {
    const fx = await openFixture(NO_DREAMER);
    const turns = Array.from({ length: 30 }, (_, i) => ({ action: `wait ${i + 1}`, prose: prose(i + 1) }));
    const story = await fx.store.importStory({ title: 'Long', premise: PREMISE, turns });
    const app = renderApp(fx, { kind: 'open', id: story.id }, { columns: 80, rows: 16 });
    await app.waitFor((f) => f.includes('LUNA · Long') && f.includes('Turn 30:'), 'the story screen');
    await scrollToTop(app);
    const lines = app.frame().split('\n');
    expect(lines[1]).toBe(PREMISE);
    expect(app.frame()).toContain('> wait 1');
  });
});
