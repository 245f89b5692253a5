import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/errors.js';
import { luna, tempHome } from '../helpers/cli.js';

describe('luna top (CLI)', () => {
  it('--once --json: one snapshot with every source, the absent ones said so, exit 0', async () => {
    const home = tempHome();
    const r = await luna(['top', '--once', '--json', '--interval', '200', '--api', 'http://127.0.0.1:9'], { home });
    expect(r.exitCode, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(Object.keys(s.sources).sort()).toEqual(['api', 'burst', 'dreamer', 'money', 'serve']);
    expect(s.sources.serve).toMatchObject({ ok: false, error: 'luna serve is not running' });
    expect(s.sources.api).toMatchObject({ ok: false, configured: true });
    expect(s.service.apis[0]).toMatchObject({ url: 'http://127.0.0.1:9', up: false });
    expect(s.dreamer.counts).toEqual({ queued: 0, running: 0, done: 0, failed: 0 });
    expect(s.alerts.map((a: { key: string }) => a.key)).toContain('source:api');
    expect(s.history.turnsPerSec).toHaveLength(2);
  }, 60_000);

  it('--once prints the panes as text', async () => {
    const r = await luna(['top', '--once', '--interval', '200'], { home: tempHome(), env: { COLUMNS: '80' } });
    expect(r.exitCode, r.stderr).toBe(0);
    for (const t of ['Service', 'Shards', 'Burst', 'Dreamer', 'Money', 'Alerts']) expect(r.stdout).toMatch(new RegExp(`── ${t} ─`));
    expect(r.stdout).toContain('no luna api processes configured (top.apis)');
    expect(r.stdout).toContain('luna serve is not running');
    for (const l of r.stdout.split('\n')) expect([...l].length).toBeLessThanOrEqual(80);
  }, 60_000);

  it('refuses what it cannot do, with a hint: no terminal, --json without --once, a bad interval or URL', async () => {
    const home = tempHome();
    const noTty = await luna(['top'], { home });
    expect(noTty.exitCode).toBe(ExitCode.usage);
    expect(noTty.stderr).toMatch(/needs a terminal[\s\S]*luna top --once/);
    expect((await luna(['top', '--json'], { home })).stderr).toMatch(/--json needs --once/);
    const bad = await luna(['top', '--once', '--interval', '5'], { home });
    expect(bad.exitCode).toBe(ExitCode.usage);
    expect(bad.stderr).toMatch(/--interval: expected milliseconds ≥ 200, found "5"/);
    const url = await luna(['top', '--once', '--api', 'not a url'], { home });
    expect(url.exitCode).toBe(ExitCode.usage);
    expect(url.stderr).toMatch(/--api: "not a url" is not a URL/);
  }, 60_000);
});
