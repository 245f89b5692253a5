import { plural } from '../../util/plural.js';
import { Box, Text } from 'ink';
import { formatDuration, formatUsd } from '../../cli/output.js';
import { terminalLine } from '../../util/terminal-text.js';
import type { TuiState } from '../state.js';
import type { Theme } from '../theme.js';

/** Models per agent with endpoint health, last-turn and session figures, the Dreamer's queue. */
export function StatusBar(props: { state: TuiState; width: number; theme: Theme }) {
  const { state, theme } = props;
  const byModel = new Map<string, string[]>();
  for (const [agent, model] of Object.entries(state.models)) byModel.set(model, [...(byModel.get(model) ?? []), agent]);
  const t = state.lastTurn;
  const s = state.session;
  const last = t
    ? `last ${formatDuration(t.latencyMs)} · ttft ${t.ttftMs === null ? '–' : formatDuration(t.ttftMs)} · ${t.inputTokens + t.outputTokens} tok · ${formatUsd(t.costUsd)}${t.unpricedCalls ? '+?' : ''}`
    : 'last –';
  const session = `session ${plural(s.turns, 'turn')} · ${s.inputTokens + s.outputTokens} tok · ${formatUsd(s.costUsd)}`;
  const queue = `dreamer ${state.queueDepth === null ? '?' : state.queueDepth} queued${state.dreamerRunning ? ' (working)' : ''}`;
  return (
    <Box flexDirection="column" width={props.width}>
      <Box>
        {[...byModel.entries()].map(([model, agents], i) => {
          const ep = state.endpoints[model];
          const mark = ep === undefined ? '?' : ep.ok ? '●' : '✗';
          const color = ep === undefined ? theme.c('dim') : ep.ok ? theme.c('ok') : theme.c('error');
          return (
            <Text key={model} wrap="truncate-end">
              {i ? '  ' : ''}
              <Text color={color} bold={ep !== undefined && !ep.ok}>{mark}</Text>
              {` ${terminalLine(model)}${ep && !ep.ok ? ' DOWN' : ''} (${agents.join(',')})`}
            </Text>
          );
        })}
      </Box>
      {state.budget ? (
        <Text wrap="truncate-end" color={theme.c(state.budget.level === 'hard' ? 'error' : 'warning')} bold>
          {`${state.budget.level === 'hard' ? '✗ budget reached' : '⚠ budget'}: ${terminalLine(state.budget.message)}`}
        </Text>
      ) : null}
      <Text wrap="truncate-end" inverse={!theme.color} color={theme.c('dim')}>
        {`${last} │ ${session} │ ${queue} │ ${state.quitArmed ? 'press Ctrl-C again to quit' : 'Ctrl-T panel · /help'}`}
      </Text>
    </Box>
  );
}
