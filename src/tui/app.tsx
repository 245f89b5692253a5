import { Box, Text, useApp, useInput, useStdin } from 'ink';
import { useCallback, useEffect, useMemo, useReducer, useRef, useState } from 'react';
import type { LoadedConfig } from '../config/load.js';
import { redactSecrets } from '../errors.js';
import type { Session } from '../runtime/session.js';
import type { Store, StorySummary } from '../store/types.js';
import { completeInput, parseInput } from './commands.js';
import { InputBox, inputHeight } from './components/input-box.js';
import { OverlayPane, overlayLines } from './components/overlay-pane.js';
import { Picker, type PickResult } from './components/picker.js';
import { SidePanel } from './components/side-panel.js';
import { StatusBar } from './components/status-bar.js';
import { StoryPane } from './components/story-pane.js';
import { createPlayController, type PlayController } from './controller.js';
import * as edit from './input-edit.js';
import { storyLines, visibleWindow } from './lines.js';
import { agentModels } from '../models/health.js';
import { usePaste } from './paste.js';
import { runSlash } from './slash.js';
import { createStory } from '../story/ops.js';
import { newStoryProblem } from './story-input.js';
import { initialState, reduce } from './state.js';
import type { Theme } from './theme.js';
import type { InlineImages } from './inline-image.js';
import { imageRowsFor, useInlineImage } from './use-inline-image.js';
import { useTerminalSize } from './use-terminal-size.js';
import { terminalLine } from '../util/terminal-text.js';

export type PlayStart = { kind: 'open'; id: string } | { kind: 'new'; title: string; premise: string } | { kind: 'pick' };

export interface AppProps {
  store: Store;
  loaded: LoadedConfig;
  session: Session;
  start: PlayStart;
  theme: Theme;
  /** Fixed size (tests); otherwise the terminal's, following resizes. */
  size?: { columns: number; rows: number };
  pingIntervalMs?: number;
  flushMs?: number;
  /** Called once the controller has stopped (turn and Dreamer cancelled), just before the app exits. */
  onQuit?: () => void;
  /** Aborted to quit from outside (SIGTERM, SIGHUP): the same orderly quit as Ctrl-D. */
  stop?: AbortSignal;
  /** Inline pictures for /image (src/tui/inline-image.ts); absent or protocol null: the path only. */
  images?: InlineImages;
}

const SIDE_WIDTH = 30;
const MIN_SIDE_COLS = 100;
const MOUSE = /^\x1b?\[<(\d+);\d+;\d+[Mm]$/;
const F2 = new Set(['\x1bOQ', '\x1b[12~', '\x1b[[B']);

export function App(props: AppProps) {
  const { store, loaded, session, theme } = props;
  const { exit } = useApp();
  const size = useTerminalSize(props.size);
  const [state, dispatch] = useReducer(reduce, undefined, () =>
    initialState({ models: Object.fromEntries(Object.entries(loaded.config.agents).map(([a, c]) => [a, c.model])) }),
  );
  const [screen, setScreen] = useState<'loading' | 'picker' | 'story'>(props.start.kind === 'pick' ? 'picker' : 'loading');
  const [stories, setStories] = useState<StorySummary[]>([]);
  const [input, setInputState] = useState(() => edit.emptyInput());
  // Keys can arrive faster than React re-renders: edits apply to the latest value, not the last rendered one.
  const inputRef = useRef(input);
  const setInput = useCallback((next: edit.InputState | ((s: edit.InputState) => edit.InputState)) => {
    inputRef.current = typeof next === 'function' ? next(inputRef.current) : next;
    setInputState(inputRef.current);
  }, []);
  const [hint, setHint] = useState<string | null>(null);
  const controllerRef = useRef<PlayController | null>(null);
  controllerRef.current ??= createPlayController({ store, loaded, session, dispatch, flushMs: props.flushMs });
  const controller = controllerRef.current;
  const sessionStart = useMemo(() => new Date(), []);
  const quitting = useRef(false);
  // Read by the key handler, which can run again before React has re-rendered.
  const quitArmed = useRef(false);

  const quit = useCallback(() => {
    if (quitting.current) return;
    quitting.current = true;
    void controller.close().finally(() => {
      props.onQuit?.();
      exit();
    });
  }, [controller, exit]);

  useEffect(() => {
    const stop = props.stop;
    if (!stop) return;
    if (stop.aborted) return quit();
    stop.addEventListener('abort', quit);
    return () => stop.removeEventListener('abort', quit);
  }, [props.stop, quit]);

  const open = useCallback(
    async (r: PickResult | PlayStart) => {
      try {
        if (r.kind === 'quit') return quit();
        if (r.kind === 'pick') return setScreen('picker');
        const problem = r.kind === 'new' ? (newStoryProblem('title', r.title) ?? newStoryProblem('premise', r.premise)) : null;
        if (problem) throw new Error(problem);
        const id = r.kind === 'open' ? r.id : (await createStory(store, 'local', { title: r.title, premise: r.premise })).id;
        const s = await controller.loadStory(id);
        const actions = (await store.getBranch(s.id, s.headTurnId, { limit: 50 })).map((t) => t.action);
        setInput(edit.emptyInput(actions));
        setScreen('story');
      } catch (err) {
        dispatch({ type: 'notice', notice: { level: 'error', text: redactSecrets((err as Error).message) } });
        setScreen('story');
      }
    },
    [controller, store, quit],
  );

  useEffect(() => {
    if (props.start.kind === 'pick') {
      void store.listStories().then((list) => setStories([...list].sort((a, b) => (a.updatedAt < b.updatedAt ? 1 : -1))));
    } else void open(props.start);
  }, []);

  // Endpoint health and the Dreamer's queue depth, refreshed in the background.
  useEffect(() => {
    if (screen !== 'story') return;
    const ctrl = new AbortController();
    // Through the session's own registry: the status bar probes the endpoints turns are really routed to.
    const tick = async () => {
      const status = await props.session.ping(ctrl.signal).catch(() => null);
      if (status && !ctrl.signal.aborted && Object.keys(status).length === agentModels(loaded.config).length) dispatch({ type: 'endpoints', status });
    };
    void tick();
    const pinger = setInterval(() => void tick(), props.pingIntervalMs ?? 15_000);
    const queue = setInterval(() => void controller.refreshQueue(), 5000);
    return () => {
      ctrl.abort();
      clearInterval(queue);
      clearInterval(pinger);
    };
  }, [screen]);

  // A cancelled or failed action comes back into the input line.
  useEffect(() => {
    if (state.restoreInput && !inputRef.current.value) setInput((s) => edit.setValue(s, state.restoreInput!.text));
  }, [state.restoreInput?.seq]);

  const side = state.showSide && size.columns >= MIN_SIDE_COLS;
  const paneWidth = Math.max(10, size.columns - (side ? SIDE_WIDTH : 0) - 1);
  const maxInputLines = Math.max(1, Math.min(6, Math.floor(size.rows / 4)));
  const inH = inputHeight(input, maxInputLines, hint !== null);
  const statusHeight = state.budget ? 3 : 2;
  const paneHeight = Math.max(3, size.rows - 1 - inH - statusHeight);
  const lines = useMemo(() => storyLines(state, paneWidth), [state.items, state.live, state.earlier, state.story, paneWidth]);
  const win = visibleWindow(lines, paneHeight, state.scroll);
  const overlayText = state.overlay ? overlayLines(state.overlay, paneWidth).length : 0;
  const imageRows = imageRowsFor(props.images, state.overlay, overlayText, paneHeight);
  // Screen row 1 is the title bar, the pane's own title row 2, its text from row 3; then a blank row.
  useInlineImage(props.images, state.overlay, { row: 3 + overlayText + 1, col: 1, cols: paneWidth, rows: imageRows });

  // Scrolling past the oldest loaded turn loads the previous page.
  useEffect(() => {
    if (state.earlier > 0 && state.scroll > 0 && state.scroll >= win.maxScroll) void controller.loadEarlier();
  }, [state.scroll, win.maxScroll, state.earlier]);

  const scrollBy = (by: number) => {
    if (state.overlay) dispatch({ type: 'overlay-scroll', by, maxScroll: overlayLines(state.overlay, paneWidth).length - (paneHeight - 2) });
    else dispatch({ type: 'scroll', by, maxScroll: win.maxScroll });
  };

  const { internal_eventEmitter: rawInput } = useStdin();
  useEffect(() => {
    if (screen !== 'story') return;
    const onRaw = (data: string) => {
      if (pasting.current) return; // text inside a paste is never a mouse event or F2
      const m = MOUSE.exec(data);
      if (m) {
        const button = Number(m[1]);
        if (button === 64) scrollBy(3);
        else if (button === 65) scrollBy(-3);
      } else if (F2.has(data)) dispatch({ type: 'toggle-side' });
    };
    rawInput?.on('input', onRaw);
    return () => void rawInput?.off('input', onRaw);
  });

  // A bracketed paste is one insert, cut to what the entry holds; keys inside it are text, not commands.
  const full = `paste cut at ${edit.MAX_INPUT_CHARS} characters (an entry holds at most ${edit.MAX_INPUT_CHARS})`;
  const pasting = usePaste(
    (text, cut) => {
      const r = edit.paste(inputRef.current, text);
      setInput(r.state);
      if (r.cut || cut) setHint(full);
    },
    { isActive: screen === 'story', cap: edit.MAX_INPUT_CHARS },
  );

  // /edit puts a turn's prose in the input: the next Enter saves it instead of playing it.
  const editing = useRef<{ id: string; depth: number; prose: string } | null>(null);
  const beginEdit = (turn: { id: string; depth: number; prose: string }) => {
    editing.current = turn;
    setInput((s) => edit.setValue(s, turn.prose));
    dispatch({ type: 'notice', notice: { level: 'info', text: `editing turn ${turn.depth}'s prose: Enter saves it; an empty line keeps it as it was` } });
  };

  const submit = (text: string) => {
    const target = editing.current;
    if (target) {
      editing.current = null;
      setHint(null);
      if (!text.trim() || text.trim() === target.prose.trim()) return dispatch({ type: 'notice', notice: { level: 'info', text: `turn ${target.depth} left as it was` } });
      return void controller.editProse(target.id, text).catch((err: Error & { hint?: string }) => {
        setInput((s) => edit.setValue(s, text));
        editing.current = target;
        dispatch({ type: 'notice', notice: { level: 'error', text: `/edit: ${err.message}`, hint: err.hint } });
      });
    }
    const parsed = parseInput(text);
    setHint(null);
    if (parsed.kind === 'empty') return;
    if (parsed.kind === 'unknown-command') {
      return dispatch({ type: 'notice', notice: { level: 'error', text: `unknown command /${parsed.name}`, hint: `try ${parsed.suggestions.map((s) => `/${s}`).join(' ')}` } });
    }
    if (parsed.kind === 'command') {
      return void runSlash(parsed.name, parsed.args, { store, loaded, controller, dispatch, sessionStart, draft: parsed.args.join(' '), quit, restore: (t) => setInput((s) => edit.setValue(s, t)), beginEdit });
    }
    if (controller.busy) {
      setInput((s) => edit.setValue(s, text));
      return dispatch({ type: 'notice', notice: { level: 'info', text: 'a turn is still running: wait for it, or Esc to cancel it' } });
    }
    dispatch({ type: 'overlay', overlay: null });
    void controller.play(parsed.text);
  };

  // Ink gives \x7f (Backspace on most terminals) and ESC[3~ (Delete) the same key.delete: keep the raw
  // sequence, seen first (prepended) so it is current when the useInput handler below runs.
  const lastRaw = useRef('');
  useEffect(() => {
    const onRaw = (data: string) => void (lastRaw.current = data);
    rawInput?.prependListener('input', onRaw);
    return () => void rawInput?.off('input', onRaw);
  }, [rawInput]);

  useInput(
    (ch, key) => {
      if (pasting.current) return;
      const input = inputRef.current;
      if (MOUSE.test(ch) || MOUSE.test(`\x1b${ch}`)) return;
      if (key.ctrl && ch === 'c') {
        if (controller.cancel()) return;
        if (input.value) return setInput((s) => ({ ...s, value: '', cursor: 0 }));
        if (quitArmed.current) return quit();
        quitArmed.current = true;
        return dispatch({ type: 'quit-arm', armed: true });
      }
      if (quitArmed.current) {
        quitArmed.current = false;
        dispatch({ type: 'quit-arm', armed: false });
      }
      if (key.ctrl && ch === 'd') return quit();
      if (key.escape) {
        if (controller.cancel()) return;
        if (state.overlay) return dispatch({ type: 'overlay', overlay: null });
        return setHint(null);
      }
      if (key.ctrl && ch === 't') return dispatch({ type: 'toggle-side' });
      if (key.pageUp) return scrollBy(paneHeight - 2);
      if (key.pageDown) return scrollBy(-(paneHeight - 2));
      if (key.upArrow) return setInput(edit.historyPrev);
      if (key.downArrow) return setInput(edit.historyNext);
      if (key.leftArrow) return setInput((s) => edit.moveCursor(s, -1));
      if (key.rightArrow) return setInput((s) => edit.moveCursor(s, 1));
      if (key.home) return setInput(edit.home);
      if (key.end) {
        if (input.cursor >= input.value.length) dispatch({ type: 'scroll-bottom' });
        return setInput(edit.end);
      }
      if (key.tab) {
        const c = completeInput(input.value);
        setInput((s) => edit.setValue(s, c.text));
        return setHint(c.candidates.length > 1 ? c.candidates.map((n) => `/${n}`).join('  ') : null);
      }
      if (key.return) {
        if (key.meta) return setInput((s) => edit.insert(s, '\n'));
        const r = edit.enter(input);
        setInput(r.state);
        if (r.submitted !== null) submit(r.submitted);
        return;
      }
      if (key.delete && edit.isForwardDelete(lastRaw.current)) return setInput(edit.deleteForward);
      if (key.backspace || key.delete) return setInput(edit.backspace);
      if (ch && !key.ctrl && !(key.meta && ch.length === 1)) {
        if (/^\[[\d;<?]*[A-Za-z~]$/.test(ch)) return; // an unparsed escape sequence, not text
        // Fast typists and tools (tmux send-keys) deliver "text\r" in one chunk: type it, then press Enter.
        if (ch.length > 1 && /\r$/.test(ch)) {
          const typed = edit.typeChunk(input, ch.slice(0, -1));
          if (edit.isFull(typed)) setHint(full);
          const r = edit.enter(typed);
          setInput(r.state);
          if (r.submitted !== null) submit(r.submitted);
          return;
        }
        // Without bracketed paste a paste arrives as chunks of typed text: each is one linear insert, cut at the cap.
        const typed = edit.typeChunk(input, ch);
        if (edit.isFull(typed)) setHint(full);
        setInput(typed);
      }
    },
    { isActive: screen !== 'picker' },
  );

  if (screen === 'picker') {
    return <Picker stories={stories} theme={theme} width={size.columns} height={size.rows} onPick={(r) => void open(r)} />;
  }
  const title = state.story ? `LUNA · ${terminalLine(state.story.title)}` : 'LUNA';
  const depth = [...state.items].reverse().find((i) => i.kind === 'turn');
  return (
    <Box flexDirection="column" width={size.columns} height={size.rows}>
      <Text bold inverse={!theme.color} color={theme.c('title')} wrap="truncate-end">
        {`${title}${depth?.kind === 'turn' ? ` · turn ${depth.turn.depth}` : ''}${state.live ? ' · playing (Esc cancels)' : ''}`}
      </Text>
      <Box flexDirection="row" height={paneHeight}>
        {state.overlay ? (
          <OverlayPane overlay={state.overlay} width={paneWidth} height={paneHeight} theme={theme} imageRows={imageRows} />
        ) : (
          <StoryPane lines={win.lines} height={paneHeight} width={paneWidth} theme={theme} scrolled={win.scroll} />
        )}
        {side ? <SidePanel state={state} width={SIDE_WIDTH} height={paneHeight} theme={theme} /> : null}
      </Box>
      <InputBox input={input} busy={state.live !== null} hint={hint} width={size.columns} theme={theme} maxLines={maxInputLines} />
      <StatusBar state={state} width={size.columns} theme={theme} />
    </Box>
  );
}
