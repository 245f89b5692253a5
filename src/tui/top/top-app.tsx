import { Box, Text, useApp, useInput, type Key } from 'ink';
import { useEffect, useReducer, useRef, useState, type ReactElement } from 'react';
import { redactSecrets } from '../../errors.js';
import type { TopActions } from '../../top/actions.js';
import { clock } from '../../top/format.js';
import { buildPanes, PANES, type Line, type Pane, type PaneId, type Tone } from '../../top/panes.js';
import type { Snapshot } from '../../top/types.js';
import { terminalLine } from '../../util/terminal-text.js';
import type { Theme } from '../theme.js';
import { useTerminalSize } from '../use-terminal-size.js';
import { layoutPanes, type PaneBox } from './layout.js';

export interface TopAppProps {
  /** One refresh; never rejects (a failing source is inside the snapshot). */
  next: () => Promise<Snapshot>;
  intervalMs: number;
  actions: TopActions;
  theme: Theme;
  size?: { columns: number; rows: number };
  onQuit?: () => void;
}

type Confirm = { text: string; run: () => Promise<string> };
type Overlay = { kind: 'log'; shard: string; lines: string[] } | { kind: 'help' };
interface Ui {
  focus: PaneId;
  selected: Partial<Record<PaneId, number>>;
  zoom: boolean;
  confirm: Confirm | null;
  overlay: Overlay | null;
  note: { text: string; tone: Tone } | null;
}

const HELP = [
  'Tab / Shift-Tab, ← →, 1-6   move between panes',
  '↑ ↓ (j k)                   select a shard or burst instance',
  'Enter                       zoom the pane (Esc back)',
  'l                           log tail of the selected shard',
  'r                           restart the selected shard (asks first)',
  'd                           drain, then terminate the selected burst instance (asks first)',
  't                           terminate the selected burst instance now (asks first)',
  'q, Ctrl-C                   quit',
];

const message = (err: unknown) => terminalLine(redactSecrets(err instanceof Error ? err.message : String(err)));

/** The key flags of a plain printable character. */
const NO_KEY = {} as Key;

export function TopApp(props: TopAppProps) {
  const { theme } = props;
  const { exit } = useApp();
  const { columns, rows } = useTerminalSize(props.size);
  const [snap, setSnap] = useState<Snapshot | null>(null);
  const ui = useRef<Ui>({ focus: 'service', selected: { shards: 0, burst: 0 }, zoom: false, confirm: null, overlay: null, note: null });
  const [, bump] = useReducer((n: number) => n + 1, 0);
  // Keys may arrive before React has re-rendered with the last key's effect: the handler reads and writes this
  // ref, never a render's copy of the state, so two quick keys always act on what the first one left.
  const set = (patch: Partial<Ui>) => {
    Object.assign(ui.current, patch);
    bump();
  };
  const alive = useRef(true);
  const panesRef = useRef<Pane[]>([]);

  // One refresh at a time, the next one an interval after the last finished: a slow source never piles up calls.
  useEffect(() => {
    alive.current = true;
    let timer: NodeJS.Timeout | undefined;
    const tick = async () => {
      const s = await props.next();
      if (!alive.current) return;
      setSnap(s);
      timer = setTimeout(() => void tick(), props.intervalMs);
    };
    void tick();
    return () => {
      alive.current = false;
      clearTimeout(timer);
    };
  }, [props.next, props.intervalMs]);

  // one column less for the selection gutter of the table panes
  const panes = snap ? buildPanes(snap, columns - 1) : [];
  panesRef.current = panes;
  const { focus, selected, zoom, confirm, overlay, note } = ui.current;
  const selectedId = (id: PaneId) => {
    const p = panesRef.current.find((x) => x.id === id);
    return p?.rows[Math.min(ui.current.selected[id] ?? 0, Math.max(0, p.rows.length - 1))]?.id ?? null;
  };

  const quit = () => {
    props.onQuit?.();
    exit();
  };

  const say = (text: string, tone: Tone) => alive.current && set({ note: { text, tone } });
  const act = (text: string, run: () => Promise<string>) => set({ confirm: { text, run } });
  const runConfirmed = (c: Confirm) => {
    set({ confirm: null, note: { text: `${c.text.replace(/\?.*$/, '')}…`, tone: 'dim' } });
    c.run().then((t) => say(terminalLine(t), 'ok'), (err: unknown) => say(message(err), 'error'));
  };
  const openLog = (shard: string) => {
    props.actions.logTail(shard, rows).then((lines) => alive.current && set({ overlay: { kind: 'log', shard, lines } }), (err: unknown) => say(message(err), 'error'));
  };

  const onKey = (ch: string, key: Key) => {
    const u = ui.current;
    if (key.ctrl && ch === 'c') return quit();
    if (u.confirm) {
      if (ch === 'y' || ch === 'Y') return runConfirmed(u.confirm);
      return set({ confirm: null, note: { text: 'cancelled', tone: 'dim' } });
    }
    if (u.overlay) {
      if (key.escape || ch === 'q' || key.return) return set({ overlay: null });
      if (u.overlay.kind === 'log' && ch === 'l') openLog(u.overlay.shard);
      return;
    }
    if (ch === 'q') return quit();
    if (ch === '?' || ch === 'h') return set({ overlay: { kind: 'help' } });
    const i = PANES.indexOf(u.focus);
    const to = (k: number) => set({ focus: PANES[(k + PANES.length) % PANES.length]!, note: null });
    if (key.tab && key.shift) return to(i - 1);
    if (key.tab || key.rightArrow) return to(i + 1);
    if (key.leftArrow) return to(i - 1);
    if (/^[1-6]$/.test(ch)) return to(Number(ch) - 1);
    if (key.return) return set({ zoom: !u.zoom });
    if (key.escape) return set({ zoom: false });
    const n = panesRef.current.find((p) => p.id === u.focus)?.rows.length ?? 0;
    const cur = Math.min(u.selected[u.focus] ?? 0, Math.max(0, n - 1));
    if ((key.downArrow || ch === 'j') && n) return set({ selected: { ...u.selected, [u.focus]: Math.min(n - 1, cur + 1) } });
    if ((key.upArrow || ch === 'k') && n) return set({ selected: { ...u.selected, [u.focus]: Math.max(0, cur - 1) } });
    const shard = u.focus === 'shards' ? selectedId('shards') : null;
    const inst = u.focus === 'burst' ? selectedId('burst') : null;
    if (ch === 'l') {
      if (!shard) return say('select a shard first (Tab to Shards)', 'warning');
      return openLog(shard);
    }
    if (ch === 'r') {
      if (!shard) return say('select a shard first (Tab to Shards)', 'warning');
      return act(`Restart shard ${shard}? Requests running on it fail. [y/N]`, () => props.actions.restartShard(shard));
    }
    if (ch === 'd' || ch === 't') {
      if (!inst) return say('select a burst instance first (Tab to Burst)', 'warning');
      return ch === 'd'
        ? act(`Drain burst instance ${inst}, then terminate it? [y/N]`, () => props.actions.drainInstance(inst))
        : act(`Terminate burst instance ${inst} now? Requests on it fail. [y/N]`, () => props.actions.terminateInstance(inst));
    }
  };
  useInput((input, key) => {
    // Keys typed faster than the terminal is read (a busy machine, a slow SSH link, a script) arrive as one
    // chunk: "2jl" is three commands, not an unknown one.
    if (input.length > 1 && !key.ctrl && !key.meta && /^[\x21-\x7e]+$/.test(input)) {
      for (const c of input) onKey(c, NO_KEY);
      return;
    }
    onKey(input, key);
  });

  const color = (tone: Tone) => (tone === 'error' ? theme.c('error') : tone === 'warning' ? theme.c('warning') : tone === 'ok' ? theme.c('ok') : tone === 'dim' ? theme.c('dim') : tone === 'head' ? theme.c('title') : undefined);
  const criticals = snap?.alerts.filter((a) => a.severity === 'critical').length ?? 0;
  const header = snap
    ? `LUNA top · ${clock(snap.at)} UTC · every ${props.intervalMs >= 1000 ? `${props.intervalMs / 1000}s` : `${props.intervalMs}ms`} · ${snap.alerts.length ? `${snap.alerts.length} alert(s)${criticals ? `, ${criticals} critical` : ''}` : 'no alerts'}`
    : 'LUNA top · reading sources…';
  const footer = confirm ? confirm.text : note ? note.text : 'Tab pane · ↑↓ select · Enter zoom · l log · r restart · d drain · t terminate · ? help · q quit';
  const body = rows - 2;

  let content: ReactElement[];
  if (overlay) {
    const title = overlay.kind === 'help' ? 'keys' : `log: ${overlay.shard} (l refreshes, Esc closes)`;
    const lines = overlay.kind === 'help' ? HELP : overlay.lines.map((l) => terminalLine(l));
    content = [
      <Text key="t" bold inverse wrap="truncate-end">{` ${title} `.padEnd(columns)}</Text>,
      ...lines.slice(-(body - 1)).map((l, i) => <Text key={i} wrap="truncate-end">{l}</Text>),
    ];
  } else {
    const boxes = layoutPanes(panes, body, focus, selected, zoom);
    const titleText = (b: PaneBox) => `${b.focused ? '▶' : '─'} ${b.title}`;
    content = boxes.flatMap((b) => {
      const out: ReactElement[] = [];
      if (!b.inlineTitle) {
        out.push(
          <Text key={`${b.id}-t`} bold inverse={b.focused} color={b.focused ? undefined : theme.c('title')} wrap="truncate-end">
            {`${titleText(b)} ${'─'.repeat(Math.max(0, columns - b.title.length - 3))}`}
          </Text>,
        );
      }
      b.lines.forEach((l: Line, i) => {
        const mark = b.gutter ? (b.selectedLine === i && b.focused ? '›' : ' ') : '';
        out.push(
          <Text key={`${b.id}-${i}`} wrap="truncate-end">
            {b.inlineTitle && i === 0 ? <Text bold inverse={b.focused} color={b.focused ? undefined : theme.c('title')}>{`${titleText(b)} │`}</Text> : null}
            {b.inlineTitle && i === 0 ? ' ' : ''}
            <Text color={color(l.tone)} inverse={b.selectedLine === i && b.focused}>{`${mark}${l.text}` || ' '}</Text>
          </Text>,
        );
      });
      return out;
    });
  }
  return (
    <Box flexDirection="column" width={columns} height={rows}>
      <Text bold wrap="truncate-end" color={criticals ? theme.c('error') : undefined}>{header}</Text>
      <Box flexDirection="column" height={body}>{content}</Box>
      <Text wrap="truncate-end" color={confirm ? theme.c('warning') : note ? color(note.tone) : theme.c('dim')} bold={Boolean(confirm)}>{footer}</Text>
    </Box>
  );
}
