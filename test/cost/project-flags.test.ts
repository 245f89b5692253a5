import { describe, expect, it } from 'vitest';
import { luna, tempHome } from '../helpers/cli.js';

/** Rows of the "writer on other models" table (header excluded). */
function alternativeRows(stdout: string): string[] {
  const table = stdout.split(/writer on other models[^\n]*\n/)[1] ?? '';
  return table.split('\n').filter((l) => l.startsWith('│')).slice(1);
}

describe('luna cost project --top', () => {
  const home = tempHome('luna-cost-project-');

  it.each(['abc', '0', '-1', '1.5', ''])('rejects --top "%s" with exit 2, the flag and the value named, and a hint', async (value) => {
    const r = await luna(['cost', 'project', `--top=${value}`], { home });
    expect(r.exitCode, r.stderr).toBe(2);
    expect(r.stderr).toContain(`luna: --top: expected a whole number of at least 1, found "${value}"`);
    expect(r.stderr).toMatch(/^hint: e\.g\. --top 5/m);
    expect(r.stdout).toBe('');
  });

  it('shows as many alternatives as asked, and 8 by default', async () => {
    const two = await luna(['cost', 'project', '--agent', 'writer', '--top', '2'], { home });
    expect(two.exitCode, two.stderr).toBe(0);
    expect(alternativeRows(two.stdout)).toHaveLength(2);
    const dflt = await luna(['cost', 'project', '--agent', 'writer'], { home });
    expect(dflt.exitCode, dflt.stderr).toBe(0);
    expect(alternativeRows(dflt.stdout)).toHaveLength(8);
  });
});
