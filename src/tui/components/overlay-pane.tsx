import { Box, Text } from 'ink';
import { visibleWindow } from '../lines.js';
import type { Overlay } from '../state.js';
import type { Theme } from '../theme.js';
import { terminalLine } from '../../util/terminal-text.js';
import { wrapText } from '../wrap.js';

/** A panel over the story pane (/context, /memory, /cost, /jobs, /branch, /help). */
export function overlayLines(o: Overlay, width: number): string[] {
  return o.lines.flatMap((l) => wrapText(l, width));
}

export function OverlayPane(props: { overlay: Overlay; width: number; height: number; theme: Theme; imageRows?: number }) {
  const { overlay, width, height, theme } = props;
  // Rows kept blank for a picture drawn over them (/image on a terminal that can show one).
  const picture = props.imageRows ? ['', ...Array.from({ length: props.imageRows }, () => '')] : [];
  const all = [...overlayLines(overlay, width), ...picture];
  const body = Math.max(1, height - 2);
  // Overlays read top-down, so their scroll counts from the top.
  const win = visibleWindow(all, body, Math.max(0, all.length - body - overlay.scroll));
  return (
    <Box flexDirection="column" width={width} height={height} overflow="hidden">
      <Text bold inverse={!theme.color} color={theme.c('title')} wrap="truncate-end">{`── ${terminalLine(overlay.title)} ──`}</Text>
      {win.lines.map((l, i) => (
        <Text key={i} wrap="truncate-end">{l || ' '}</Text>
      ))}
      {Array.from({ length: Math.max(0, body - win.lines.length) }, (_, i) => (
        <Text key={`p${i}`}> </Text>
      ))}
      <Text color={theme.c('dim')} wrap="truncate-end">{`Esc closes${all.length > body ? ' · PageUp/PageDown scroll' : ''}`}</Text>
    </Box>
  );
}
