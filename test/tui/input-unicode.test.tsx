// Ink's own chalk (a dependency of ink): colour is raised in one test to see the inverse cursor cell.
import chalk from 'chalk';
import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { InputBox } from '../../src/tui/components/input-box.js';
import * as edit from '../../src/tui/input-edit.js';
import { makeTheme } from '../../src/tui/theme.js';
import { planJson } from '../helpers/pipeline-fixture.js';
import { KEY, openFixture, renderApp } from './helpers.js';

const FOX = '🦊'; // one astral code point, two UTF-16 units
const FAMILY = '👩\u200d👩\u200d👧'; // ZWJ sequence: five code points, one character
const FLAG = '🇫🇷'; // two regional indicators
const E_ACUTE = 'e\u0301'; // e + combining acute accent
const CJK = '月光';
const left = '\x1b[D';
const right = '\x1b[C';
const home = '\x1b[H';
const end = '\x1b[F';
const forwardDelete = '\x1b[3~';

/** A value is broken when it holds a lone surrogate (shown as U+FFFD) or U+FFFD itself. */
const broken = (s: string) => /\uFFFD|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);
const at = (value: string, cursor: number): edit.InputState => ({ ...edit.emptyInput(), value, cursor });
const typed = (text: string) => edit.insert(edit.emptyInput(), text);

describe('input line over grapheme clusters', () => {
  it('Backspace removes a whole emoji, ZWJ sequence, flag, accented letter or CJK character', () => {
    for (const ch of [FOX, FAMILY, FLAG, E_ACUTE, '月']) {
      const s = edit.backspace(typed(`and then wave ${ch}`));
      expect(s.value, JSON.stringify(ch)).toBe('and then wave ');
      expect(s.cursor).toBe('and then wave '.length);
    }
    expect(edit.backspace(typed(CJK)).value).toBe('月');
  });

  it('Left/Right step over whole clusters, so typed text never lands inside one', () => {
    let s = typed(`a${FOX}b`);
    s = edit.moveCursor(s, -2);
    expect(s.cursor).toBe(1);
    s = edit.insert(s, 'X');
    expect(s.value).toBe(`aX${FOX}b`);
    expect(broken(s.value)).toBe(false);

    const value = `${FAMILY}${FLAG}${E_ACUTE}${CJK}`;
    const stops: number[] = [];
    for (let c = edit.setValue(edit.emptyInput(), value); ; c = edit.moveCursor(c, -1)) {
      stops.unshift(c.cursor);
      if (c.cursor === 0) break;
    }
    expect(stops).toEqual([0, FAMILY.length, FAMILY.length + FLAG.length, FAMILY.length + FLAG.length + 2, value.length - 1, value.length]);
    const forward: number[] = [];
    for (let c = at(value, 0); forward.push(c.cursor), c.cursor < value.length; ) c = edit.moveCursor(c, 1);
    expect(forward).toEqual(stops);
    // Several steps at once, clamped at both ends.
    expect(edit.moveCursor(at(value, 0), 3).cursor).toBe(stops[3]);
    expect(edit.moveCursor(at(value, 0), 99).cursor).toBe(value.length);
    expect(edit.moveCursor(at(value, value.length), -99).cursor).toBe(0);
    // Every stop splits the value into two unbroken halves.
    for (const c of stops) expect(broken(value.slice(0, c)) || broken(value.slice(c))).toBe(false);
  });

  it('Delete removes the whole cluster under the cursor and keeps the cursor', () => {
    expect(edit.deleteForward(at(`a${FOX}b`, 1))).toMatchObject({ value: 'ab', cursor: 1 });
    expect(edit.deleteForward(at(`${FAMILY}x`, 0)).value).toBe('x');
    expect(edit.deleteForward(at(`${FLAG}${FLAG}`, 0)).value).toBe(FLAG);
    expect(edit.deleteForward(at(`${E_ACUTE}t`, 0)).value).toBe('t');
    expect(edit.deleteForward(at(CJK, 0)).value).toBe('光');
    expect(edit.deleteForward(at('abcd', 2))).toMatchObject({ value: 'abd', cursor: 2 });
    expect(edit.deleteForward(at('ab', 2)).value).toBe('ab');
  });

  it('Home/End, history, multi-line values and typed chunks stay on cluster boundaries', () => {
    const value = `${FOX} one\n${FAMILY} two ${FOX}\n${FLAG}`;
    let s = at(value, value.indexOf('two'));
    s = edit.home(s);
    expect(s.cursor).toBe(value.indexOf(FAMILY));
    s = edit.moveCursor(s, -1); // onto the end of the first line, before the newline
    expect(s.cursor).toBe(value.indexOf('\n'));
    s = edit.backspace(s);
    expect(s.value.split('\n')[0]).toBe(`${FOX} on`);
    s = edit.end(edit.moveCursor(s, 1));
    expect(s.value.slice(0, s.cursor).endsWith(`two ${FOX}`)).toBe(true);
    s = edit.backspace(s);
    expect(s.value).toBe(`${FOX} on\n${FAMILY} two \n${FLAG}`);
    // A CRLF restored from elsewhere is one cluster: End stops before it.
    expect(edit.end(at(`x${FOX}\r\ny`, 0)).cursor).toBe(1 + FOX.length);

    let h = edit.historyPrev(typed(`draft ${FLAG}`));
    h = { ...h, history: [`old ${FAMILY}`], historyIndex: 1 };
    h = edit.historyPrev(h);
    expect(edit.backspace(h).value).toBe('old ');
    h = edit.historyNext(h);
    expect(edit.backspace(h).value).toBe('draft ');

    // Several keys in one chunk (key repeat, tmux): DEL/BS erase whole clusters too.
    expect(edit.typeChunk(typed(`go ${FOX}${FAMILY}`), '\x7f\x7f!').value).toBe('go !');
    expect(edit.typeInto(`name ${FLAG}`, '\b')).toBe('name ');
    // A letter typed before a lone combining accent joins it: the cursor moves past the new cluster.
    const joined = edit.insert(at('\u0301', 0), 'e');
    expect(joined).toMatchObject({ value: E_ACUTE, cursor: 2 });
  });

  it('the input box draws the whole cluster under the cursor', () => {
    expect(edit.clusterAt(at(`a${FAMILY}b`, 1))).toBe(FAMILY);
    expect(edit.clusterAt(at(`a${FOX}`, 1 + FOX.length))).toBe('');
    const theme = makeTheme(false);
    const level = chalk.level;
    chalk.level = 1; // the cursor is an inverse cell: let it show in the frame
    try {
      for (const [value, cursor, under] of [[`a${FOX}b`, 1, FOX], [`a${FAMILY}b`, 1, FAMILY], [`${E_ACUTE}x`, 0, E_ACUTE], [CJK, 1, '光'], [`a${FLAG}`, 1, FLAG]] as const) {
        const ui = render(<InputBox input={at(value, cursor)} busy={false} hint={null} width={40} theme={theme} maxLines={3} />);
        const f = ui.lastFrame() ?? '';
        ui.unmount();
        expect(f, JSON.stringify(f)).toContain(`\x1b[7m${under}\x1b[27m`);
        const plain = f.replace(/\x1b\[[\d;]*m/g, '');
        expect(broken(plain), JSON.stringify(plain)).toBe(false);
        expect(plain).toContain(`› ${value}`);
      }
    } finally {
      chalk.level = level;
    }
  });

  it('tells the forward-Delete key sequence from the Backspace bytes', () => {
    for (const raw of ['\x1b[3~', '\x1b[3;5~', '\x1b[3;2~', '\x1b[3$', '\x1b[3^', '\x1b\x1b[3~', '\x1b[3;1:1~']) expect(edit.isForwardDelete(raw), JSON.stringify(raw)).toBe(true);
    for (const raw of ['\x7f', '\b', '\x1b\x7f', '\x1b[127u', '\x1b[8u', '\x1b[33~', '\x1b[13~', '3~']) expect(edit.isForwardDelete(raw), JSON.stringify(raw)).toBe(false);
  });
});

async function openStory() {
  const fx = await openFixture({
    agents: { preprocessor: { model: 'scribe' }, strategist: { model: 'planner' }, writer: { model: 'scribe' }, dreamer: { model: 'scribe', inProcess: false } },
  });
  const story = await fx.store.createStory({ title: 'The Lighthouse', premise: 'A keeper named Maren finds a stranger on the rocks.' });
  const app = renderApp(fx, { kind: 'open', id: story.id });
  await app.waitFor((f) => f.includes('LUNA · The Lighthouse'), 'the story screen');
  return { fx, story, app };
}

/** The prompt line of the frame (ANSI styling dropped). */
const promptLine = (frame: string) => (frame.replace(/\x1b\[[\d;]*m/g, '').split('\n').find((l) => l.startsWith('› ')) ?? '').trimEnd();

describe('luna play input line with real key bytes', () => {
  it('an emoji action edited with Backspace and Left is stored whole, without U+FFFD', async () => {
    const { fx, story, app } = await openStory();
    fx.strategist.script({ kind: 'json', value: planJson() });
    fx.writer.script({ kind: 'text', chunks: ['The fox waves back.'] });
    await app.type(`and then wave ${FOX}`);
    await app.press(KEY.backspace); // \x7f, as most terminals send Backspace
    await app.waitFor((f) => promptLine(f) === '› and then wave', 'the emoji erased whole');
    await app.type(`${FOX}b`);
    await app.press(left);
    await app.press(left);
    await app.type('X');
    await app.waitFor((f) => promptLine(f) === `› and then wave X${FOX}b`, 'X typed before the emoji');
    expect(broken(app.frame())).toBe(false);
    await app.press(KEY.enter);
    await app.waitFor((f) => f.includes('The fox waves back.') && f.includes('session 1 turn '), 'the turn');
    const turn = await fx.store.getTurn((await fx.store.getStory(story.id))!.headTurnId!);
    expect(turn?.action).toBe(`and then wave X${FOX}b`);
    expect(broken(turn!.action)).toBe(false);
  });

  it('Delete (ESC [3~) deletes forward; Backspace as \\x7f and as \\b deletes backward', async () => {
    const { app } = await openStory();
    await app.type('abcd');
    await app.press(left);
    await app.press(left);
    await app.press(forwardDelete);
    await app.waitFor((f) => promptLine(f) === '› abd', 'Delete removing the c after the cursor');
    await app.press('\x7f');
    await app.waitFor((f) => promptLine(f) === '› ad', 'Backspace (DEL byte) removing the b before the cursor');
    await app.press('\b');
    await app.waitFor((f) => promptLine(f) === '› d', 'Backspace (BS byte) removing the a');
    await app.type('Z');
    await app.waitFor((f) => promptLine(f) === '› Zd', 'the cursor still before the d');
    // Delete over clusters: Home, then Delete twice on an emoji and a ZWJ family.
    await app.press(end);
    await app.type(`${FOX}${FAMILY}!`);
    await app.press(home);
    await app.press(right);
    await app.press(right);
    await app.press(forwardDelete);
    await app.waitFor((f) => promptLine(f) === `› Zd${FAMILY}!`, 'Delete removing the whole fox');
    await app.press(forwardDelete);
    await app.waitFor((f) => promptLine(f) === '› Zd!', 'Delete removing the whole family');
    await app.press(end);
    await app.press(forwardDelete); // at the end: nothing to delete
    await app.press(KEY.backspace);
    await app.waitFor((f) => promptLine(f) === '› Zd', 'Backspace at the end');
    expect(broken(app.frame())).toBe(false);
  });
});
