import { Box, Text } from 'ink';
import { formatDuration } from '../../cli/output.js';
import type { Stage } from '../../pipeline/events.js';
import type { TuiState } from '../state.js';
import type { Theme } from '../theme.js';
import { cellWidth, fitCells, wrapText } from '../wrap.js';

const KIND_MARK: Record<string, string> = { character: '☺', place: '⌂', item: '◆', faction: '⚑', other: '·' };
const STAGES: Stage[] = ['preprocessor', 'strategist', 'writer', 'commit'];
const STAGE_SHORT: Partial<Record<Stage, string>> = { preprocessor: 'pre', strategist: 'strat', writer: 'writer', commit: 'commit' };
const MAX_PEOPLE = 10;
const MAX_PLACES = 6;
const MAX_ARC = 6;

export type SideRowKind = 'title' | 'item' | 'dim';
export interface SideRow {
  text: string;
  kind: SideRowKind;
}


/** A section: a title and its rows, and how it shrinks to `k` body rows (k ≥ 1) when it does not fit. */
interface Section {
  title: string;
  body: SideRow[];
  shrink(k: number): SideRow[];
  /** Body rows to give it before any section gets more (1 unless it reads badly with fewer). */
  min?: number;
}

/** A list that keeps its first items and says how many it left out. */
function listSection(title: string, items: string[], empty: string, max: number, width: number): Section {
  const all = items.map((text) => ({ text: fitCells(text, width), kind: 'item' as const }));
  const shrink = (k: number): SideRow[] => {
    if (all.length <= k) return all;
    if (k <= 1) {
      const suffix = ` +${items.length - 1} more`;
      return [{ text: fitCells(items[0]!, width - cellWidth(suffix)) + suffix, kind: 'item' }];
    }
    return [...all.slice(0, k - 1), { text: `… ${items.length - (k - 1)} more`, kind: 'dim' }];
  };
  return { title, body: items.length ? shrink(max) : [{ text: empty, kind: 'dim' }], shrink: items.length ? shrink : () => [{ text: empty, kind: 'dim' }] };
}

/** Arc summary lines; a cut summary ends its last shown line with "…". */
function arcSection(arc: string | null, width: number): Section {
  if (!arc) return { title: 'Arc', body: [{ text: '(none yet)', kind: 'dim' }], shrink: () => [{ text: '(none yet)', kind: 'dim' }] };
  const lines = wrapText(arc, width);
  const shrink = (k: number): SideRow[] => {
    if (lines.length <= k) return lines.map((text) => ({ text, kind: 'item' }));
    const shown = lines.slice(0, k).map((text) => ({ text, kind: 'item' as const }));
    shown[k - 1] = { text: `${fitCells(lines[k - 1]!, width - 2).replace(/…$/, '')} …`, kind: 'item' };
    return shown;
  };
  return { title: 'Arc', body: shrink(MAX_ARC), shrink };
}

/** Stage timings, one a row; two a row when short of room. */
function timingSection(stageMs: TuiState['stageMs'], width: number): Section {
  const timed = STAGES.filter((s) => stageMs[s] !== undefined);
  if (!timed.length) return { title: 'Last turn', body: [{ text: '(no turn yet)', kind: 'dim' }], shrink: () => [{ text: '(no turn yet)', kind: 'dim' }] };
  const full = timed.map((s) => ({ text: fitCells(`${s.padEnd(12)} ${formatDuration(stageMs[s]!).padStart(7)}`, width), kind: 'item' as const }));
  const short = timed.map((s) => `${(STAGE_SHORT[s] ?? s).padEnd(6)} ${formatDuration(stageMs[s]!).padStart(6)}`);
  const pairs: SideRow[] = [];
  for (let i = 0; i < short.length; i += 2) pairs.push({ text: fitCells(short.slice(i, i + 2).join('  '), width), kind: 'item' });
  const total = timed.reduce((a, s) => a + stageMs[s]!, 0);
  const shrink = (k: number): SideRow[] => {
    if (full.length <= k) return full;
    // Four stages make at most two pairs.
    if (pairs.length <= k) return pairs;
    return [{ text: fitCells(`total ${formatDuration(total)} (${timed.length} stages)`, width), kind: 'item' }];
  };
  return { title: 'Last turn', body: full, shrink, min: pairs.length };
}

/**
 * The side panel as single-line rows that fit `height`: every section gets its title and one row if there
 * is room (In play first, then Places, Arc, Last turn); rows left over go to the sections in that order.
 */
export function sidePanelRows(state: Pick<TuiState, 'inPlay' | 'arc' | 'stageMs'>, width: number, height: number): SideRow[] {
  const people = state.inPlay.filter((e) => e.kind !== 'place');
  const places = state.inPlay.filter((e) => e.kind === 'place');
  const sections: Section[] = [
    listSection('In play', people.map((e) => `${KIND_MARK[e.kind] ?? '·'} ${e.name}`), '(nobody yet)', MAX_PEOPLE, width),
    listSection('Places', places.map((e) => `${KIND_MARK.place} ${e.name}`), '(none yet)', MAX_PLACES, width),
    arcSection(state.arc, width),
    timingSection(state.stageMs, width),
  ];
  // Body rows per section: its minimum first (with its title), in priority order while two rows are left; then the rest, in the same order.
  const give = sections.map(() => 0);
  let left = Math.max(0, height);
  for (let i = 0; i < sections.length && left >= 2; i++) {
    give[i] = Math.min(sections[i]!.min ?? 1, left - 1);
    left -= give[i]! + 1;
  }
  for (let i = 0; i < sections.length && left > 0; i++) {
    if (!give[i]) break;
    const more = Math.min(left, sections[i]!.body.length - give[i]!);
    give[i]! += more;
    left -= more;
  }
  const rows: SideRow[] = [];
  sections.forEach((s, i) => {
    const k = give[i]!;
    if (!k) return;
    rows.push({ text: fitCells(s.title, width), kind: 'title' });
    rows.push(...(k >= s.body.length ? s.body : s.shrink(k)));
  });
  return rows;
}

/** Characters and places in play, the current arc, and the last turn's stage timings. */
export function SidePanel(props: { state: TuiState; width: number; height: number; theme: Theme }) {
  const { state, width, height, theme } = props;
  // One column of border and one of padding on the left.
  const rows = sidePanelRows(state, width - 2, height);
  return (
    <Box flexDirection="column" width={width} height={height} borderStyle="single" borderLeft borderTop={false} borderBottom={false} borderRight={false} paddingLeft={1} overflow="hidden">
      {rows.map((r, i) => (
        <Box key={i} height={1} flexShrink={0}>
          <Text wrap="truncate-end" bold={r.kind === 'title'} color={r.kind === 'title' ? theme.c('title') : r.kind === 'dim' ? theme.c('dim') : undefined}>
            {r.text}
          </Text>
        </Box>
      ))}
    </Box>
  );
}
