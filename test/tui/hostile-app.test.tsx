import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { Setup } from '../../src/tui/setup.js';
import { makeTheme } from '../../src/tui/theme.js';
import { MAX_INPUT_CHARS } from '../../src/tui/input-edit.js';
import { PASTE_END, PASTE_START } from '../../src/tui/paste.js';
import { planJson } from '../helpers/pipeline-fixture.js';
import { KEY, NO_DREAMER, openFixture, renderApp, waitFor } from './helpers.js';

/** Clear screen, an OSC 0 window title ended by BEL, and a C1 CSI (U+009B): what issue 19 saw reach the terminal. */
const H = '\x1b[2J\x1b]0;pwned\x07\x9b31m';
/** Any byte a terminal would act on; a frame may hold newlines only (chalk is off in these tests). */
const CONTROL = /[\x00-\x09\x0b-\x1f\x7f-\x9f]/;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('hostile text never reaches the terminal from the TUI', () => {
  it('titles, actions, prose, entity names, lore panels and error notices draw their escape sequences as visible text', async () => {
    const fx = await openFixture(NO_DREAMER);
    const story = await fx.store.importStory({
      title: `Trap${H}Title`,
      premise: `A premise${H}here.`,
      entities: [{ name: `Kor${H}vin`, kind: 'character', description: `a thief${H}` }],
      turns: [{ action: `I open${H} the door`, prose: `The door${H} opens.\r\nBeyond it, darkness.` }],
    });
    const app = renderApp(fx, { kind: 'open', id: story.id });
    await app.waitFor((f) => f.includes('LUNA · Trap␛[2J␛]0;pwned␇␛[31mTitle'), 'the title, escaped');
    await app.waitFor((f) => f.includes('> I open␛[2J␛]0;pwned␇␛[31m the door') && f.includes('The door␛[2J'), 'the turn, escaped');
    await app.type('/memory');
    await app.press(KEY.enter);
    await app.waitFor((f) => f.includes('Kor␛[2J␛]0;pwned␇␛[31mvin'), 'the memory panel, escaped');
    await app.press(KEY.esc);
    // A server's error message carries the sequences into an inline error notice.
    fx.strategist.script({ kind: 'error', status: 400, message: `bad request${H}` });
    await app.type('I wait');
    await app.press(KEY.enter);
    await app.waitFor((f) => f.includes('✗') && f.includes('request␛[2J␛]0;pwned␇'), 'the error notice, escaped');
    const frames = app.ui.frames.join('\n');
    expect(frames).toContain('␛]0;pwned␇');
    const bad = app.ui.frames.find((f) => CONTROL.test(f));
    expect(bad, JSON.stringify(bad?.match(new RegExp(`.{0,20}${CONTROL.source}.{0,20}`))?.[0])).toBeUndefined();
  });
});

describe('pasting into luna play', () => {
  it('a 200 KB bracketed paste is one edit: cut at the cap with a notice, its newlines do not submit, and keys work after it', async () => {
    const fx = await openFixture(NO_DREAMER);
    const story = await fx.store.createStory({ title: 'Paste', premise: 'p' });
    const app = renderApp(fx, { kind: 'open', id: story.id });
    await app.waitFor((f) => f.includes('LUNA · Paste') && f.includes('›'), 'the story screen');
    const line = 'the keeper walks the rocks and the lantern swings\r';
    const text = line.repeat(Math.ceil(200_000 / line.length));
    const chats = () => [...fx.writer.requests, ...fx.strategist.requests].filter((r) => r.path.endsWith('/chat/completions')).length;
    const requests = chats();
    app.ui.stdin.write(PASTE_START);
    for (let i = 0; i < text.length; i += 4096) app.ui.stdin.write(text.slice(i, i + 4096));
    app.ui.stdin.write(PASTE_END);
    await app.waitFor((f) => f.includes(`paste cut at ${MAX_INPUT_CHARS} characters`), 'the cut notice');
    // The pasted line ends stayed newlines in the entry: no action was played, no model was asked.
    await sleep(200);
    expect(chats()).toBe(requests);
    expect(app.frame()).toContain('↑ ');
    expect(await fx.store.countTurns(story.id)).toBe(0);
    // Still responsive: Ctrl-C clears the entry, typing works, Ctrl-D quits.
    await app.press(KEY.ctrlC);
    await app.waitFor((f) => /^›\s*$/m.test(f) && !f.includes('lantern swings'), 'the cleared entry');
    await app.type('hello');
    await app.waitFor((f) => f.includes('› hello'), 'typing after the paste');
    await app.press(KEY.ctrlD);
    await waitFor(() => app.quitted(), 'quit');
  });

  it('without brackets, chunks of pasted text stop at the cap and say so', async () => {
    const fx = await openFixture(NO_DREAMER);
    const story = await fx.store.createStory({ title: 'Plain paste', premise: 'p' });
    const app = renderApp(fx, { kind: 'open', id: story.id });
    await app.waitFor((f) => f.includes('LUNA · Plain paste'), 'the story screen');
    for (let i = 0; i < 30; i++) app.ui.stdin.write('word '.repeat(200));
    await app.waitFor((f) => f.includes(`paste cut at ${MAX_INPUT_CHARS} characters`), 'the cut notice');
  });

  it('in the story picker, a paste never acts as keys (a "q" in it does not quit) and lands in the form field', async () => {
    const fx = await openFixture(NO_DREAMER);
    const app = renderApp(fx, { kind: 'pick' });
    await app.waitFor((f) => f.includes('pick a story'), 'the picker');
    app.ui.stdin.write(`${PASTE_START}quit now q${PASTE_END}`);
    await sleep(100);
    expect(app.quitted()).toBe(false);
    await app.press('n');
    await app.waitFor((f) => f.includes('New story'), 'the form');
    app.ui.stdin.write(`${PASTE_START}The\r\nLighthouse${PASTE_END}`);
    await app.waitFor((f) => f.includes('Title:   The Lighthouse'), 'the pasted title');
  });
});

describe('new story titles get the checks `luna story new` makes', () => {
  it('the picker refuses a title over 200 characters with its length', async () => {
    const fx = await openFixture(NO_DREAMER);
    const app = renderApp(fx, { kind: 'pick' });
    await app.waitFor((f) => f.includes('pick a story'), 'the picker');
    await app.press('n');
    await app.waitFor((f) => f.includes('New story'), 'the form');
    app.ui.stdin.write('T'.repeat(201));
    await app.press(KEY.enter);
    await app.waitFor((f) => f.includes('the title is too long (201 characters; at most 200)'), 'the refusal');
    expect(app.frame()).not.toContain('Premise: ▌');
    expect(await fx.store.listStories()).toEqual([]);
  });

  it('a new story started with a title over the limit is not created', async () => {
    const fx = await openFixture(NO_DREAMER);
    const app = renderApp(fx, { kind: 'new', title: 'T'.repeat(250), premise: 'p' });
    await app.waitFor((f) => f.includes('the title is too long (250 characters; at most 200)'), 'the refusal');
    expect(await fx.store.listStories()).toEqual([]);
  });
});

describe('slash commands check their arguments', () => {
  async function twoTurns() {
    const fx = await openFixture(NO_DREAMER);
    const story = await fx.store.importStory({ title: 'Args', premise: 'p', turns: [{ action: 'one', prose: 'First.' }, { action: 'two', prose: 'Second.' }] });
    const app = renderApp(fx, { kind: 'open', id: story.id });
    await app.waitFor((f) => f.includes('Second.'), 'the story');
    return { fx, story, app };
  }

  it('/undo with an argument refuses, undoes nothing and gives the line back to fix', async () => {
    const { fx, story, app } = await twoTurns();
    const head = (await fx.store.getStory(story.id))!.headTurnId;
    await app.type('/undo please not');
    await app.press(KEY.enter);
    await app.waitFor((f) => f.includes('/undo takes no argument (got "please not")') && f.includes('hint: type /undo alone'), 'the refusal');
    await app.waitFor((f) => f.includes('› /undo please not'), 'the line back in the input');
    expect((await fx.store.getStory(story.id))!.headTurnId).toBe(head);
    expect(app.frame()).toContain('Second.');
  });

  it('/branch from a turn that does not exist hints the turns that do', async () => {
    const { app } = await twoTurns();
    await app.type('/branch from 99');
    await app.press(KEY.enter);
    await app.waitFor((f) => f.includes('/branch from needs a turn number from 0 to 2 (got "99")'), 'the refusal');
    expect(app.frame()).toContain('hint: turns 0–2 exist on this branch (0 = the very start), e.g. /branch from 1');
    await app.type('/branch 7');
    await app.press(KEY.enter);
    await app.waitFor((f) => f.includes('no branch 7'), 'the branch refusal');
    expect(app.frame()).toContain('there is one branch: /branch 1');
  });
});

describe('first-run setup', () => {
  function renderSetup() {
    const done: unknown[] = [];
    const ui = render(<Setup missing={[{ model: 'demo', path: '/nowhere/x.gguf' }]} configFile="/nowhere/luna.yaml" theme={makeTheme(false)} env={{}} onDone={(c) => done.push(c)} />);
    return { ui, done, frame: () => ui.lastFrame() ?? '' };
  }

  it('shows no error on a field nobody has typed in, even after an Enter; a blank path typed over says what to enter', async () => {
    const s = renderSetup();
    s.ui.stdin.write('2');
    await waitFor(() => s.frame().includes('Path to the .gguf file'), 'the path field');
    s.ui.stdin.write(KEY.enter);
    await sleep(50);
    expect(s.frame()).not.toContain('✗');
    s.ui.stdin.write('x');
    await sleep(20);
    s.ui.stdin.write(KEY.backspace);
    await sleep(20);
    s.ui.stdin.write(KEY.enter);
    await waitFor(() => s.frame().includes('✗ enter the path to a .gguf file'), 'the blank-path message');
    expect(s.done).toEqual([]);
    s.ui.unmount();
  });

  it('a menu digit and Enter in one chunk choose that entry and leave its field blank, without an error', async () => {
    const s = renderSetup();
    s.ui.stdin.write('2\r');
    await waitFor(() => s.frame().includes('Path to the .gguf file'), 'the path field');
    await sleep(50);
    expect(s.frame()).not.toContain('✗');
    s.ui.unmount();
  });
});
