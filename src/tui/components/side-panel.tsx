import { Box, Text } from 'ink';
import { formatDuration } from '../../cli/output.js';
import type { Stage } from '../../pipeline/events.js';
import type { TuiState } from '../state.js';
import type { Theme } from '../theme.js';
import { wrapText } from '../wrap.js';

const KIND_MARK: Record<string, string> = { character: '☺', place: '⌂', item: '◆', faction: '⚑', other: '·' };
const STAGES: Stage[] = ['preprocessor', 'strategist', 'writer', 'commit'];

/** Characters and places in play, the current arc, and the last turn's stage timings. */
export function SidePanel(props: { state: TuiState; width: number; height: number; theme: Theme }) {
  const { state, width, height, theme } = props;
  const inner = width - 2;
  const people = state.inPlay.filter((e) => e.kind !== 'place');
  const places = state.inPlay.filter((e) => e.kind === 'place');
  const arc = state.arc ? wrapText(state.arc, inner).slice(0, 6) : ['(none yet)'];
  const timed = STAGES.filter((s) => state.stageMs[s] !== undefined);
  return (
    <Box flexDirection="column" width={width} height={height} borderStyle="single" borderLeft borderTop={false} borderBottom={false} borderRight={false} paddingLeft={1} overflow="hidden">
      <Text bold color={theme.c('title')}>In play</Text>
      {people.length ? people.slice(0, 10).map((e) => <Text key={e.name} wrap="truncate-end">{`${KIND_MARK[e.kind] ?? '·'} ${e.name}`}</Text>) : <Text color={theme.c('dim')}>(nobody yet)</Text>}
      <Text bold color={theme.c('title')}>Places</Text>
      {places.length ? places.slice(0, 6).map((e) => <Text key={e.name} wrap="truncate-end">{`${KIND_MARK.place} ${e.name}`}</Text>) : <Text color={theme.c('dim')}>(none yet)</Text>}
      <Text bold color={theme.c('title')}>Arc</Text>
      {arc.map((l, i) => (
        <Text key={i} wrap="truncate-end">{l}</Text>
      ))}
      <Text bold color={theme.c('title')}>Last turn</Text>
      {timed.length ? timed.map((s) => <Text key={s} wrap="truncate-end">{`${s.padEnd(12)} ${formatDuration(state.stageMs[s]!).padStart(7)}`}</Text>) : <Text color={theme.c('dim')}>(no turn yet)</Text>}
    </Box>
  );
}
