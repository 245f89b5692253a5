import { describe, expect, it } from 'vitest';
import { advance, restartWarning } from '../../src/cli/render-turn.js';
import type { TurnEvent } from '../../src/pipeline/events.js';
import * as edit from '../../src/tui/input-edit.js';
import { storyLines } from '../../src/tui/lines.js';
import { createPasteReader, PASTE_END, PASTE_START } from '../../src/tui/paste.js';
import { initialState, reduce, type TuiAction } from '../../src/tui/state.js';
import { fitCells, wrapText } from '../../src/tui/wrap.js';
import { cellWidth, hasTerminalControls, terminalLine, terminalText, terminalTextStream } from '../../src/util/terminal-text.js';

/** Every sequence issue 19 saw reach the terminal: clear screen, an OSC 0 window title ended by BEL, a C1 CSI. */
const HOSTILE = 'A\x1b[2J\x1b]0;pwned\x07B\x9b31mC\x7fD\x00E';
const FORBIDDEN = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/;

describe('terminal-safe text (src/util/terminal-text.ts)', () => {
  it('makes every control character visible, one for one, and keeps newlines and tabs in multi-line text', () => {
    const out = terminalText(`${HOSTILE}\nnext\tcol`);
    expect(out).toBe('A␛[2J␛]0;pwned␇B␛[31mC␡D␀E\nnext\tcol');
    expect(out).not.toMatch(FORBIDDEN);
    expect(terminalText('one\r\ntwo\rthree')).toBe('one\ntwo\nthree');
  });

  it('keeps one row on one row: newline as ␤, tab as a space', () => {
    expect(terminalLine('The\nSea\tof\r\nTrees\x1b]2;x\x07')).toBe('The␤Sea of␤Trees␛]2;x␇');
  });

  it('leaves ordinary Unicode alone: emoji, ZWJ sequences, flags, CJK, combining marks, bidi text', () => {
    const text = 'Maren 🦊 👨‍👩‍👧 🇫🇷 光 e\u0301 שלום';
    expect(terminalText(text)).toBe(text);
    expect(terminalLine(text)).toBe(text);
    expect(hasTerminalControls(text)).toBe(false);
    expect(hasTerminalControls('a\r\nb')).toBe(false);
    expect(hasTerminalControls('a\x9bb')).toBe(true);
  });

  it('streams: a CR at the end of one piece and an LF at the start of the next are one newline', () => {
    const s = terminalTextStream();
    expect(s.push('one\r') + s.push('\ntwo\r') + s.push('x\x1b') + s.end()).toBe('one\ntwo\nx␛');
    expect(terminalTextStream().push('trailing\r')).toBe('trailing');
  });

  it('the TUI wrap helpers draw controls visibly and measure them as one cell (the border no longer shifts)', () => {
    const lines = wrapText(HOSTILE, 8);
    expect(lines.join('')).not.toMatch(FORBIDDEN);
    for (const l of lines) expect(cellWidth(l)).toBeLessThanOrEqual(8);
    expect(fitCells(`${HOSTILE}${HOSTILE}`, 10)).not.toMatch(FORBIDDEN);
    expect(cellWidth(fitCells(`${HOSTILE}${HOSTILE}`, 10))).toBe(10);
  });
});

describe('pasting', () => {
  it('a bracketed paste is gathered into one piece, its markers and keys swallowed', () => {
    const r = createPasteReader(100);
    expect(r.feed('x')).toEqual({ consumed: false });
    expect(r.feed(PASTE_START).consumed).toBe(true);
    expect(r.feed('line one\r')).toEqual({ consumed: true });
    expect(r.feed('\x04')).toEqual({ consumed: true }); // a pasted Ctrl-D is text, not quit
    expect(r.feed('line two')).toEqual({ consumed: true });
    expect(r.feed(PASTE_END)).toEqual({ consumed: true, paste: { text: 'line one\r\x04line two', cut: false } });
    expect(r.feed('\x04')).toEqual({ consumed: false });
  });

  it('keeps at most the cap of a huge paste and says it was cut', () => {
    const r = createPasteReader(1000);
    r.feed(PASTE_START);
    for (let i = 0; i < 200; i++) r.feed('x'.repeat(1024));
    const end = r.feed(PASTE_END);
    expect(end.paste?.text).toHaveLength(1000);
    expect(end.paste?.cut).toBe(true);
  });

  it('inserts a paste as one edit: newlines kept, controls dropped, cut to what the entry holds', () => {
    const start = edit.setValue(edit.emptyInput(), 'ab');
    const r = edit.paste({ ...start, cursor: 1 }, 'x\r\ny\x1b[2J\x7f', 10);
    expect(r).toEqual({ state: expect.objectContaining({ value: 'ax\ny[2Jb', cursor: 7 }), cut: false });
    const full = edit.paste(edit.emptyInput(), 'z'.repeat(50), 10);
    expect(full.state.value).toBe('z'.repeat(10));
    expect(full.cut).toBe(true);
    // A surrogate pair is never split at the cap.
    expect(edit.paste(edit.emptyInput(), 'abc🦊', 4).state.value).toBe('abc');
  });

  it('typed chunks (a paste without brackets) stop at the cap too', () => {
    let s = edit.emptyInput();
    for (let i = 0; i < 30; i++) s = edit.typeChunk(s, 'y'.repeat(1000));
    expect(s.value).toHaveLength(edit.MAX_INPUT_CHARS);
    expect(edit.isFull(s)).toBe(true);
    expect(edit.typeInto('', 'q'.repeat(5000))).toHaveLength(edit.MAX_FIELD_CHARS);
  });
});

describe('a Writer restart', () => {
  it('the warning names the model and the reason, and never prints an empty reason', () => {
    expect(restartWarning('scribe: stream cut after 12 bytes')).toBe("the Writer's stream broke (stream cut after 12 bytes); it starts over on scribe and its partial prose is discarded");
    expect(restartWarning('scribe-backup: ')).toBe("the Writer's stream broke; it starts over on scribe-backup and its partial prose is discarded");
    expect(restartWarning('scribe-backup: ')).not.toContain('()');
  });

  it('in the TUI, the warning shows under its own turn\'s action, above the fresh prose', () => {
    const ev = (event: TurnEvent): TuiAction => ({ type: 'turn-event', event });
    const turn = { id: 't1', storyId: 's', parentId: null, depth: 1, action: 'I light the lamp', prose: 'Fresh.', plan: null, note: '', ooc: '', continued: false, editedAt: null, createdAt: '' };
    const totals = { costUsd: 0, unpricedCalls: 0, inputTokens: 1, outputTokens: 1, latencyMs: 1, ttftMs: 1, stages: {} };
    let s = [
      { type: 'story-loaded', story: { id: 's', title: 'T', premise: '' }, turns: [{ id: 't0', depth: 0, action: 'earlier', prose: 'Before.' }], earlier: 0, arc: null },
      { type: 'turn-starting', action: 'I light the lamp', mode: 'continue' },
      { type: 'prose', text: 'PARTIAL' },
      ev({ type: 'prose-restart', reason: 'scribe-backup: ' }),
      { type: 'prose', text: 'Fresh.' },
    ].reduce((st, a) => reduce(st, a as TuiAction), initialState());
    const live = storyLines(s, 200).map((l) => l.text);
    const at = live.indexOf('> I light the lamp');
    expect(live[at + 1]).toContain("! the Writer's stream broke; it starts over on scribe-backup");
    expect(live.slice(0, at).join('\n')).not.toContain('stream broke');
    expect(live.join('\n')).not.toContain('PARTIAL');
    s = reduce(s, ev({ type: 'done', turn, plan: { intent: 'i', tone: 't', beats: [], entities: [], factChanges: [] }, prose: 'Fresh.', entities: [], totals, jobsQueued: 0 }));
    const done = storyLines(s, 200).map((l) => l.text);
    expect(done.slice(done.indexOf('> I light the lamp'), done.indexOf('> I light the lamp') + 3)).toEqual([
      '> I light the lamp',
      "! the Writer's stream broke; it starts over on scribe-backup and its partial prose is discarded",
      'Fresh.',
    ]);
  });

  it('on a terminal, the rows the partial prose took are counted with wrapping, wide characters and tabs', () => {
    expect(advance('abc', 0, 10)).toEqual({ rows: 0, col: 3 });
    expect(advance('0123456789', 0, 10)).toEqual({ rows: 0, col: 10 }); // pending wrap: still on the row
    expect(advance('0123456789x', 0, 10)).toEqual({ rows: 1, col: 1 });
    expect(advance('a\nb\n', 0, 10)).toEqual({ rows: 2, col: 0 });
    expect(advance('光光光光光光', 0, 10)).toEqual({ rows: 1, col: 2 });
    expect(advance('\tx', 0, 10)).toEqual({ rows: 0, col: 9 });
  });
});
