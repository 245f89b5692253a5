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

/** Renders only the visible window of pre-wrapped lines, so a long scrollback costs nothing per token. */
export function StoryPane(props: { lines: Line[]; height: number; width: number; theme: Theme; scrolled: number }) {
  const { lines, height, theme } = props;
  const pad = Math.max(0, height - lines.length - (props.scrolled ? 1 : 0));
  return (
    <Box flexDirection="column" width={props.width} height={height} overflow="hidden">
      {Array.from({ length: pad }, (_, i) => (
        <Text key={`pad${i}`}> </Text>
      ))}
      {lines.slice(props.scrolled ? 1 : 0).map((l, i) => {
        const st = STYLE[l.style];
        return (
          <Text key={i} wrap="truncate-end" color={st.color ? theme.c(st.color) : undefined} bold={st.bold} dimColor={!theme.color && st.color === 'dim'} italic={st.italic}>
            {l.text || ' '}
          </Text>
        );
      })}
      {props.scrolled ? (
        <Text wrap="truncate-end" inverse>
          {` ↓ ${props.scrolled} more lines below — End or PageDown to follow `}
        </Text>
      ) : null}
    </Box>
  );
}
