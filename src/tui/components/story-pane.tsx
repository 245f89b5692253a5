import { Box, Text } from 'ink';
import type { Line, LineStyle } from '../lines.js';
import type { Theme } from '../theme.js';

const STYLE: Record<LineStyle, { color?: Parameters<Theme['c']>[0]; bold?: boolean; dim?: boolean; italic?: boolean }> = {
  action: { color: 'action', bold: true },
  prose: {},
  error: { color: 'error', bold: true },
  warning: { color: 'warning' },
  info: { color: 'info' },
  hint: { color: 'dim' },
  dim: { color: 'dim', italic: true },
  stage: { color: 'accent', italic: true },
};

/**
 * Renders only the visible window of pre-wrapped lines, so a long scrollback costs nothing per token.
 * Scrolled up, the bottom row of the pane says how much is below, so the window's top line (the
 * premise, or "↑ N earlier turns", when scrolled all the way up) stays in view.
 */
export function StoryPane(props: { lines: Line[]; height: number; width: number; theme: Theme; scrolled: number }) {
  const { height, theme } = props;
  const bar = props.scrolled > 0 && height > 1;
  const rows = bar ? height - 1 : height;
  const shown = props.lines.slice(0, rows);
  const below = props.scrolled + (props.lines.length - shown.length);
  const pad = Math.max(0, rows - shown.length);
  return (
    <Box flexDirection="column" width={props.width} height={height} overflow="hidden">
      {Array.from({ length: pad }, (_, i) => (
        <Text key={`pad${i}`}> </Text>
      ))}
      {shown.map((l, i) => {
        const st = STYLE[l.style];
        return (
          <Text key={i} wrap="truncate-end" color={st.color ? theme.c(st.color) : undefined} bold={st.bold} dimColor={!theme.color && st.color === 'dim'} italic={st.italic}>
            {l.text || ' '}
          </Text>
        );
      })}
      {bar ? (
        <Text wrap="truncate-end" inverse>
          {` ↓ ${below} more lines below — End or PageDown to follow `}
        </Text>
      ) : null}
    </Box>
  );
}
