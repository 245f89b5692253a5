import { describe, expect, it } from 'vitest';
import { luna, tempHome } from '../helpers/cli.js';

const home = tempHome('luna-data-dir-');

describe('a data dir that cannot be one', () => {
  it('--home under /proc ends at once with a clear error (it spun at 100% CPU)', async () => {
    const r = await luna(['--home', '/proc/luna-x', 'story', 'list'], { home, timeoutMs: 20_000 });
    expect(r.exitCode, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/^luna: data dir \/proc\/luna-x cannot be created: \/proc is procfs/m);
    expect(r.stderr).toMatch(/^hint: point --home/m);
  });

  it('a database URL under /proc ends too (the folder is made one level at a time)', async () => {
    const r = await luna(['--database-url', 'sqlite:/proc/luna-x/y/luna.db', 'story', 'list'], { home, timeoutMs: 20_000 });
    expect(r.exitCode, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/cannot create database folder \/proc\/luna-x\/y: \/proc does not allow new folders/);
  });

  it('--home naming a file says it is not a folder (exit 2), with a hint', async () => {
    for (const h of ['/etc/passwd', '/etc/passwd/sub']) {
      const r = await luna(['--home', h, 'story', 'list'], { home });
      expect(r.exitCode, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/^luna: data dir .*\/etc\/passwd is a file, not a folder$/m);
      expect(r.stderr).not.toMatch(/bug in luna|EEXIST/);
    }
  });
});

