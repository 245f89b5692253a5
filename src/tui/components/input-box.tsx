import { Box, Text } from 'ink';
import { clusterAt, type InputState } from '../input-edit.js';
import type { Theme } from '../theme.js';

/** The prompt: multi-line entry with a visible cursor; shows the last lines when the entry is long. */
export function InputBox(props: { input: InputState; busy: boolean; hint: string | null; width: number; theme: Theme; maxLines: number }) {
  const { input, theme } = props;
  const before = input.value.slice(0, input.cursor);
  // The whole grapheme cluster under the cursor (an emoji, a flag, e + accent), not half of it.
  const at = clusterAt(input);
  const after = input.value.slice(input.cursor + at.length);
  const rows = `${before}\u0000${at.includes('\n') ? ' \n' : at || ' '}\u0001${after}`.split('\n');
  // The last lines, unless the cursor is above them: the line being edited always shows.
  const cursorRow = before.split('\n').length - 1;
  const start = Math.min(Math.max(0, rows.length - props.maxLines), cursorRow);
  const shown = rows.slice(start, start + props.maxLines);
  return (
    <Box flexDirection="column" width={props.width}>
      {props.hint ? <Text wrap="truncate-end" color={theme.c('dim')}>{props.hint}</Text> : null}
      {shown.map((row, i) => {
        // `↑` marks lines hidden above (the prompt sign is on the first line).
        const prefix = i > 0 ? '  ' : start > 0 ? '↑ ' : props.busy ? '… ' : '› ';
        const [pre = '', rest = ''] = row.split('\u0000');
        const [cur = '', post = ''] = rest.includes('\u0001') ? rest.split('\u0001') : ['', rest];
        return (
          <Text key={i} wrap="truncate-start">
            <Text color={theme.c('action')} bold>{prefix}</Text>
            {row.includes('\u0000') ? (
              <>
                {pre}
                <Text inverse>{cur || ' '}</Text>
                {post}
              </>
            ) : (
              row.replace('\u0001', '')
            )}
          </Text>
        );
      })}
    </Box>
  );
}

export function inputHeight(input: InputState, maxLines: number, hint: boolean): number {
  return Math.min(maxLines, input.value.split('\n').length) + (hint ? 1 : 0);
}
