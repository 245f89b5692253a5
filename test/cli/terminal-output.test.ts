import { expect, it } from 'vitest';
import { renderTable } from '../../src/cli/output.js';
import { luna, tempHome } from '../helpers/cli.js';

const HOSTILE = 'Lamp\u001b[2J\u001b]0;pwned\u0007\u009b31m';

it('table cells show control characters instead of sending them to the terminal', async () => {
  const out = await renderTable(['title'], [[HOSTILE]]);
  expect(out).not.toMatch(/[\u001b\u0007\u009b]/);
  expect(out).toContain('Lamp\u241b[2J');
});

it('an error line that quotes what the user typed shows its control characters instead of obeying them', async () => {
  const home = tempHome('luna-term-out-');
  const r = await luna(['story', 'show', HOSTILE], { home });
  expect(r.exitCode).not.toBe(0);
  expect(r.exitCode).not.toBe(1);
  expect(r.stderr).toMatch(/^luna: /);
  expect(r.stderr).not.toMatch(/[\u001b\u0007\u009b]/);
});
