import { describe, expect, it } from 'vitest';
import type { TurnEvent } from '../../src/pipeline/events.js';
import type { Turn } from '../../src/store/types.js';
import { completeInput, parseInput } from '../../src/tui/commands.js';
import * as edit from '../../src/tui/input-edit.js';
import { storyLines, visibleWindow } from '../../src/tui/lines.js';
import { initialState, reduce, type TuiAction, type TuiState } from '../../src/tui/state.js';
import { detectColor } from '../../src/tui/theme.js';
import { cellWidth, wrapText } from '../../src/tui/wrap.js';

const run = (s: TuiState, actions: TuiAction[]) => actions.reduce(reduce, s);
const ev = (event: TurnEvent): TuiAction => ({ type: 'turn-event', event });
const turn = (id: string, depth: number, prose: string): Turn => ({ id, storyId: 's', parentId: null, depth, action: `act ${id}`, prose, plan: null, note: '', ooc: '', continued: false, editedAt: null, createdAt: '' });
const totals = { costUsd: 0.002, unpricedCalls: 0, inputTokens: 100, outputTokens: 20, latencyMs: 900, ttftMs: 120, stages: { writer: 500 } };
const plan = { intent: 'i', tone: 't', beats: [], entities: [{ name: 'Maren', kind: 'character' as const }], factChanges: [] };

describe('reducer over TurnEvents', () => {
  it('builds the live turn from tokens, then moves it to the scrollback with figures on done', () => {
    const s = run(initialState(), [
      { type: 'turn-starting', action: 'go', mode: 'continue' },
      ev({ type: 'turn-started', storyId: 's', parentId: null, action: 'go' }),
      ev({ type: 'stage-started', stage: 'writer' }),
      { type: 'prose', text: 'Hello ' },
      ev({ type: 'prose-token', text: 'world' }),
    ]);
    expect(s.live?.prose).toBe('Hello world');
    expect(s.live?.stage).toBe('writer');
    const done = run(s, [
      ev({ type: 'cost', call: { agent: 'strategist', model: 'm', provider: 'p', inputTokens: 80, outputTokens: 10, costUsd: 0.002, outcome: 'ok', latencyMs: 5 } }),
      ev({ type: 'done', turn: turn('t1', 1, 'Hello world'), plan, prose: 'Hello world', entities: [], totals, jobsQueued: 2 }),
    ]);
    expect(done.live).toBeNull();
    expect(done.items).toEqual([{ kind: 'turn', turn: { id: 't1', depth: 1, action: 'act t1', prose: 'Hello world' } }]);
    expect(done.lastTurn).toMatchObject({ latencyMs: 900, ttftMs: 120, costUsd: 0.002 });
    expect(done.session).toMatchObject({ turns: 1, costUsd: 0.002, inputTokens: 80, outputTokens: 10 });
    expect(done.sessionByAgent.strategist).toEqual({ calls: 1, costUsd: 0.002, tokens: 90 });
    expect(done.queueDepth).toBe(2);
    expect(done.stageMs).toEqual({ writer: 500 });
  });

  it('a cancelled or failed turn leaves the scrollback as it was and gives the action back', () => {
    const base = run(initialState(), [{ type: 'story-loaded', story: { id: 's', title: 'T', premise: 'P' }, turns: [{ id: 'a', depth: 1, action: 'x', prose: 'y' }], earlier: 0, arc: null }]);
    const cancelled = run(base, [{ type: 'turn-starting', action: 'run', mode: 'continue' }, { type: 'prose', text: 'par' }, ev({ type: 'error', message: 'turn cancelled', exitCode: 130, cancelled: true, action: 'run' })]);
    expect(cancelled.live).toBeNull();
    expect(cancelled.items.filter((i) => i.kind === 'turn')).toHaveLength(1);
    expect(cancelled.restoreInput?.text).toBe('run');
    const failed = run(base, [{ type: 'turn-starting', action: 'x', mode: 'retry' }, ev({ type: 'error', message: 'boom', hint: 'h', exitCode: 6, cancelled: false, action: 'x' })]);
    // A failed retake puts the replaced turn back.
    expect(failed.items.filter((i) => i.kind === 'turn').map((i) => (i.kind === 'turn' ? i.turn.id : ''))).toEqual(['a']);
    expect(failed.items.at(-1)).toMatchObject({ kind: 'notice', notice: { level: 'error', text: 'boom', hint: 'h' } });
    expect(failed.restoreInput?.seq).toBe(1);
  });

  it('prose-restart discards the partial prose; side panel follows context, plan and entity updates', () => {
    const s = run(initialState(), [
      { type: 'turn-starting', action: 'a', mode: 'continue' },
      { type: 'prose', text: 'bad start' },
      ev({ type: 'prose-restart', reason: 'm: 500' }),
      ev({ type: 'context-ready', context: { sections: [], totalTokens: 0, budgetTokens: 0, historyTokens: 0, compression: 0, entitiesInPlay: ['Maren', 'Gravenmoor'], retrieval: { bm25Hits: 0, vectorHits: 0, usedVectors: false }, ms: 1 } }),
      ev({ type: 'plan-ready', plan, repaired: false }),
      ev({ type: 'entity-update', update: { name: 'Gravenmoor', kind: 'place', status: 'appeared', facts: [] } }),
    ]);
    expect(s.live?.prose).toBe('');
    expect(s.inPlay).toEqual([{ name: 'Maren', kind: 'character' }, { name: 'Gravenmoor', kind: 'place' }]);
  });

  it('scrolling clamps to the scrollback, and overlays scroll on their own', () => {
    let s = reduce(initialState(), { type: 'scroll', by: 50, maxScroll: 20 });
    expect(s.scroll).toBe(20);
    s = reduce(s, { type: 'scroll', by: -100, maxScroll: 20 });
    expect(s.scroll).toBe(0);
    s = reduce(s, { type: 'overlay', overlay: { title: 't', lines: ['a'] } });
    s = reduce(s, { type: 'overlay-scroll', by: 5, maxScroll: 3 });
    expect(s.overlay?.scroll).toBe(3);
  });
});

describe('story lines and the visible window', () => {
  it('renders only the window and caches settled turns per width', () => {
    const items = Array.from({ length: 500 }, (_, i) => ({ kind: 'turn' as const, turn: { id: `t${i}`, depth: i + 1, action: `a${i}`, prose: `prose number ${i}` } }));
    const state = { items, live: null, earlier: 0, story: null };
    const lines = storyLines(state, 40);
    expect(lines).toHaveLength(1500);
    expect(storyLines(state, 40)[3]).toBe(lines[3]); // same cached line object
    const win = visibleWindow(lines, 10, 0);
    expect(win.lines.map((l) => l.text).slice(-3)).toEqual(['> a499', 'prose number 499', '']);
    expect(visibleWindow(lines, 10, 1e9).lines[0]?.text).toBe('> a0');
    expect(visibleWindow(lines, 10, 1e9).maxScroll).toBe(1490);
  });
});

describe('input line', () => {
  it('edits, keeps history, and continues lines after a trailing backslash', () => {
    let s = edit.insert(edit.emptyInput(['older']), 'helo');
    s = edit.moveCursor(s, -1);
    s = edit.insert(s, 'l');
    expect(s.value).toBe('hello');
    s = edit.historyPrev(s);
    expect(s.value).toBe('older');
    s = edit.historyNext(s);
    expect(s.value).toBe('hello');
    s = edit.insert(edit.end(s), ' there\\');
    let r = edit.enter(s);
    expect(r.submitted).toBeNull();
    r = edit.enter(edit.insert(r.state, 'second line'));
    expect(r.submitted).toBe('hello there\nsecond line');
    expect(r.state.history).toEqual(['older', 'hello there\nsecond line']);
    expect(edit.backspace(edit.insert(edit.emptyInput(), 'ab')).value).toBe('a');
  });
});

describe('slash commands', () => {
  it('parses commands, prefixes and escaped slashes, and completes with Tab', () => {
    expect(parseInput('/undo')).toEqual({ kind: 'command', name: 'undo', args: [] });
    expect(parseInput('/branch from 3')).toEqual({ kind: 'command', name: 'branch', args: ['from', '3'] });
    expect(parseInput('/mem')).toEqual({ kind: 'command', name: 'memory', args: [] });
    expect(parseInput('//slash at the start')).toEqual({ kind: 'action', text: '/slash at the start' });
    expect(parseInput('/zz')).toMatchObject({ kind: 'unknown-command', name: 'zz' });
    expect(parseInput('   ')).toEqual({ kind: 'empty' });
    expect(completeInput('/he')).toEqual({ text: '/help ', candidates: ['help'] });
    expect(completeInput('/c')).toEqual({ text: '/co', candidates: ['continue', 'context', 'cost'] });
    expect(completeInput('walk')).toEqual({ text: 'walk', candidates: [] });
  });
});

describe('wrapping and colour', () => {
  it('wraps at word boundaries within the width, hard-breaks long words, counts wide characters as two cells', () => {
    const lines = wrapText('the quick brown fox jumps over the lazy dog', 10);
    expect(lines.every((l) => cellWidth(l) <= 10)).toBe(true);
    expect(lines.join(' ')).toBe('the quick brown fox jumps over the lazy dog');
    expect(wrapText('abcdefghij', 4)).toEqual(['abcd', 'efgh', 'ij']);
    expect(cellWidth('月光')).toBe(4);
    expect(wrapText('月光月光月光', 4)).toEqual(['月光', '月光', '月光']);
    expect(wrapText('a\n\nb', 5)).toEqual(['a', '', 'b']);
  });

  it('turns colour off under NO_COLOR, TERM=dumb and non-TTY output', () => {
    const tty = { isTTY: true, hasColors: () => true };
    expect(detectColor({}, tty)).toBe(true);
    expect(detectColor({ NO_COLOR: '1' }, tty)).toBe(false);
    expect(detectColor({ TERM: 'dumb' }, tty)).toBe(false);
    expect(detectColor({}, { isTTY: false })).toBe(false);
    expect(detectColor({}, { isTTY: true, hasColors: () => false })).toBe(false);
  });
});

describe('typed chunks', () => {
  it('applies backspaces and drops control characters when several keys arrive at once', () => {
    expect(edit.typeChunk(edit.setValue(edit.emptyInput(), 'abc'), '\x7f\x7fXY\x01').value).toBe('aXY');
    expect(edit.typeInto('http://x/v1', '\x7f\x7f\x7f\x7f\x7fhost:1/v1')).toBe('http:/host:1/v1');
  });
});
