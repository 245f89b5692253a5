import { Box, Text } from 'ink';
import { terminalLine } from '../../util/terminal-text.js';
import { clusterAt, type InputState } from '../input-edit.js';
import type { Theme } from '../theme.js';
import { cellWidth, fitCells } from '../wrap.js';

/** One row of the entry: plain text, or the row with the cursor (the cluster under it drawn inverse). */
type Row = { text: string } | { pre: string; cur: string; post: string };

/** The entry split into rows, and which one holds the cursor. Linear in the entry's length. */
export function inputRows(input: InputState): { rows: Row[]; cursorRow: number } {
  const before = input.value.slice(0, input.cursor);
  // The whole grapheme cluster under the cursor (an emoji, a flag, e + accent), not half of it.
  const at = clusterAt(input);
  const after = input.value.slice(input.cursor + at.length);
  const above = before.split('\n');
  const below = after.split('\n');
  const pre = above.pop()!;
  const rows: Row[] = above.map((text) => ({ text }));
  // A cursor on a line break shows as a space at the end of its line; the text after starts the next row.
  if (at.includes('\n')) rows.push({ pre, cur: ' ', post: '' }, ...below.map((text) => ({ text })));
  else rows.push({ pre, cur: at || ' ', post: below.shift()! }, ...below.map((text) => ({ text })));
  return { rows, cursorRow: above.length };
}

/** The last `cells` cells of `text`, marked with "…" at the start when cut. */
function tailCells(text: string, cells: number): string {
  if (cellWidth(text) <= cells) return text;
  const chars = Array.from(text);
  let out = '';
  let n = 0;
  for (let i = chars.length - 1; i >= 0; i--) {
    const w = cellWidth(chars[i]!);
    if (n + w > cells - 1) break;
    out = chars[i]! + out;
    n += w;
  }
  return `…${out}`;
}

/**
 * The cursor row cut to `cells`, keeping the cursor in view: the text before it fills the row, and up to a third of
 * the row shows what follows. Only the visible part reaches Ink, so a long pasted line costs the row's width to draw.
 */
export function cursorWindow(row: { pre: string; cur: string; post: string }, cells: number): { pre: string; cur: string; post: string } {
  const pre = terminalLine(row.pre);
  const cur = terminalLine(row.cur);
  const post = terminalLine(row.post);
  const curW = cellWidth(cur);
  const preW = cellWidth(pre);
  if (preW + curW + cellWidth(post) <= cells) return { pre, cur, post };
  const postRoom = Math.min(cellWidth(post), Math.floor(cells / 3));
  const shownPre = preW + curW + postRoom <= cells ? pre : tailCells(pre, Math.max(0, cells - curW - postRoom));
  return { pre: shownPre, cur, post: fitCells(post, Math.max(0, cells - curW - cellWidth(shownPre))) };
}

/** The prompt: multi-line entry with a visible cursor; shows the last lines when the entry is long. */
export function InputBox(props: { input: InputState; busy: boolean; hint: string | null; width: number; theme: Theme; maxLines: number }) {
  const { theme } = props;
  const { rows, cursorRow } = inputRows(props.input);
  // The last lines, unless the cursor is above them: the line being edited always shows.
  const start = Math.min(Math.max(0, rows.length - props.maxLines), cursorRow);
  const shown = rows.slice(start, start + props.maxLines);
  const cells = Math.max(1, props.width - 2);
  return (
    <Box flexDirection="column" width={props.width}>
      {props.hint ? <Text wrap="truncate-end" color={theme.c('dim')}>{terminalLine(props.hint)}</Text> : null}
      {shown.map((row, i) => {
        // `↑` marks lines hidden above (the prompt sign is on the first line).
        const prefix = i > 0 ? '  ' : start > 0 ? '↑ ' : props.busy ? '… ' : '› ';
        const w = 'text' in row ? null : cursorWindow(row, cells);
        return (
          <Text key={i} wrap="truncate-end">
            <Text color={theme.c('action')} bold>{prefix}</Text>
            {w ? (
              <>
                {w.pre}
                <Text inverse>{w.cur}</Text>
                {w.post}
              </>
            ) : (
              fitCells((row as { text: string }).text, cells)
            )}
          </Text>
        );
      })}
    </Box>
  );
}

export function inputHeight(input: InputState, maxLines: number, hint: boolean): number {
  let lines = 1;
  for (let i = input.value.indexOf('\n'); i !== -1; i = input.value.indexOf('\n', i + 1)) lines++;
  return Math.min(maxLines, lines) + (hint ? 1 : 0);
}
