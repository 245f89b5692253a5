import type { ScrollItem, TuiState } from './state.js';
import { wrapText } from './wrap.js';

/** Scrollback as wrapped, styled lines. Settled items are wrapped once per width and cached. */
export type LineStyle = 'action' | 'prose' | 'error' | 'warning' | 'info' | 'hint' | 'dim' | 'stage';
export interface Line {
  text: string;
  style: LineStyle;
}

const cache = new WeakMap<object, { width: number; lines: Line[] }>();

const STAGE_LABEL: Record<string, string> = {
  preprocessor: 'gathering memory…',
  strategist: 'planning the beat…',
  writer: 'writing…',
  commit: 'saving…',
};

function turnLines(action: string, prose: string, width: number, notes: string[] = []): Line[] {
  // A card's greeting opens a story with prose and no action: no empty "> " line above it.
  const out: Line[] = action ? wrapText(`> ${action}`, width).map((text) => ({ text, style: 'action' as const })) : [];
  for (const note of notes) out.push(...wrapText(`! ${note}`, width).map((text) => ({ text, style: 'warning' as const })));
  if (prose) out.push(...wrapText(prose, width).map((text) => ({ text, style: 'prose' as const })));
  return out;
}

function itemLines(item: ScrollItem, width: number): Line[] {
  const key = item.kind === 'turn' ? item.turn : item.notice;
  const hit = cache.get(key);
  if (hit && hit.width === width) return hit.lines;
  let lines: Line[];
  if (item.kind === 'turn') lines = [...turnLines(item.turn.action, item.turn.prose, width, item.turn.notes), { text: '', style: 'prose' }];
  else {
    const n = item.notice;
    const mark = n.level === 'error' ? '✗ ' : n.level === 'warning' ? '! ' : '· ';
    lines = wrapText(mark + n.text, width).map((text) => ({ text, style: n.level }));
    if (n.hint) lines.push(...wrapText(`  hint: ${n.hint}`, width).map((text) => ({ text, style: 'hint' as const })));
    lines.push({ text: '', style: 'prose' });
  }
  cache.set(key, { width, lines });
  return lines;
}

export function storyLines(s: Pick<TuiState, 'items' | 'live' | 'earlier' | 'story'>, width: number): Line[] {
  const out: Line[] = [];
  if (s.earlier > 0) out.push({ text: `↑ ${s.earlier} earlier turns (scroll up to load more)`, style: 'dim' });
  else if (s.story?.premise) out.push(...wrapText(s.story.premise, width).map((text) => ({ text, style: 'dim' as const })), { text: '', style: 'prose' });
  for (const item of s.items) for (const l of itemLines(item, width)) out.push(l);
  if (s.live) {
    out.push(...turnLines(s.live.action, s.live.prose, width, s.live.notes));
    if (s.live.stage && s.live.stage !== 'writer') out.push({ text: STAGE_LABEL[s.live.stage] ?? `${s.live.stage}…`, style: 'stage' });
    else if (!s.live.prose) out.push({ text: STAGE_LABEL.writer!, style: 'stage' });
  }
  return out;
}

/** The slice of `lines` the pane shows: `scroll` counts lines up from the bottom. */
export function visibleWindow<T>(lines: T[], height: number, scroll: number): { lines: T[]; maxScroll: number; scroll: number } {
  const maxScroll = Math.max(0, lines.length - height);
  const sc = Math.min(scroll, maxScroll);
  const end = lines.length - sc;
  return { lines: lines.slice(Math.max(0, end - height), end), maxScroll, scroll: sc };
}
