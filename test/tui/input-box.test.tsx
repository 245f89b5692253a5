import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { InputBox } from '../../src/tui/components/input-box.js';
import { emptyInput, setValue } from '../../src/tui/input-edit.js';
import { makeTheme } from '../../src/tui/theme.js';

const theme = makeTheme(false);
const lines = Array.from({ length: 9 }, (_, i) => `line ${i + 1}`).join('\n');

function frame(cursor: number): string[] {
  const input = { ...setValue(emptyInput(), lines), cursor };
  const ui = render(<InputBox input={input} busy={false} hint={null} width={40} theme={theme} maxLines={4} />);
  const out = (ui.lastFrame() ?? '').split('\n').map((l) => l.trimEnd());
  ui.unmount();
  return out;
}

describe('a multi-line entry taller than the input box', () => {
  it('marks the hidden lines above with ↑ and shows the last lines while typing at the end', () => {
    expect(frame(lines.length)).toEqual(['↑ line 6', '  line 7', '  line 8', '  line 9']);
  });

  it('keeps the line being edited in view when the cursor moves above the last lines', () => {
    const out = frame(lines.indexOf('line 2') + 2);
    expect(out[0]).toBe('↑ line 2');
    expect(out).toHaveLength(4);
    expect(frame(0)[0]).toBe('› line 1');
  });
});
