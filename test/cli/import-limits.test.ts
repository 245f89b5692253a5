import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { luna, tempHome } from '../helpers/cli.js';

describe('story import refuses a file too large to read whole', () => {
  it('a 609 MB file is refused by its size with a hint (it failed with ERR_STRING_TOO_LONG)', async () => {
    const home = tempHome();
    const big = path.join(home, 'big.json');
    execFileSync('truncate', ['-s', '609M', big]); // sparse: nothing is written
    const r = await luna(['story', 'import', big], { home });
    expect(r.exitCode, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/^luna: .*big\.json is 609\.0 MiB; story import reads at most 256 MiB$/m);
    expect(r.stderr).toMatch(/^hint: if it really is one story, raise the limit with --max-mb \(up to 512\)/m);
    expect(r.stderr).not.toMatch(/ERR_STRING_TOO_LONG|bug in luna/);
  });

  it('--max-mb sets the limit, within 1–512', async () => {
    const home = tempHome();
    const two = path.join(home, 'two.json');
    execFileSync('truncate', ['-s', '2M', two]);
    const r = await luna(['story', 'import', two, '--max-mb', '1'], { home });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/is 2\.0 MiB; story import reads at most 1 MiB/);
    const bad = await luna(['story', 'import', two, '--max-mb', '600'], { home });
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/--max-mb expects a whole number of MiB from 1 to 512, found "600"/);
    const fine = await luna(['story', 'import', two, '--max-mb', '3'], { home });
    expect(fine.exitCode).toBe(2);
    expect(fine.stderr).toMatch(/is not valid JSON/);
  });
});
