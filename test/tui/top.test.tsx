import chalk from 'chalk';
import { render } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import type { Snapshot } from '../../src/top/types.js';
import { makeTheme } from '../../src/tui/theme.js';
import { TopApp } from '../../src/tui/top/top-app.js';
import { KEY, waitFor } from './helpers.js';
import { recordingActions, sampleSnapshot } from './top-fixture.js';

const mounted: (() => void)[] = [];
afterEach(() => {
  for (const u of mounted.splice(0)) u();
});

function show(snaps: Snapshot | (() => Snapshot), size = { columns: 80, rows: 24 }, color = false) {
  const { calls, actions } = recordingActions();
  let reads = 0;
  const next = async () => {
    reads++;
    return typeof snaps === 'function' ? snaps() : snaps;
  };
  const ui = render(<TopApp next={next} intervalMs={40} actions={actions} theme={makeTheme(color)} size={size} />);
  mounted.push(() => ui.unmount());
  const frame = () => ui.lastFrame() ?? '';
  return {
    calls, frame, reads: () => reads,
    async press(k: string) {
      ui.stdin.write(k);
      await new Promise((r) => setTimeout(r, k === KEY.esc ? 80 : 20));
    },
    until: (check: (f: string) => boolean, what: string) => waitFor(() => check(frame()), what).catch((err: Error) => {
      throw new Error(`${err.message}; last frame:\n${frame()}`);
    }),
  };
}

const ANSI = /\x1b\[[0-9;]*m/g;
const plain = (f: string) => f.replace(ANSI, '');
const lines = (f: string) => plain(f).split('\n');

describe('luna top console', () => {
  it('80×24: every pane, the header and the keys fit; nothing wider or taller than the terminal', async () => {
    const t = show(sampleSnapshot());
    await t.until((f) => f.includes('LUNA top · 13:00:00 UTC'), 'the first snapshot');
    const f = plain(t.frame());
    for (const title of ['Service', 'Shards', 'Burst', 'Dreamer', 'Money', 'Alerts']) expect(f).toMatch(new RegExp(`[▶─] ${title} [─│]`));
    expect(f).toMatch(/turns\/s 3\.25/);
    expect(f).toMatch(/latency p50 800ms p95 2\.10s p99 4\.00s/);
    expect(f).toMatch(/in flight 5 \(free 3 · studio 2\) · queued 2 \(free 2\)/);
    expect(f).toMatch(/alpha\s+ready/);
    expect(f).toMatch(/now \$2\.27\/h \(burst \$1\.87 \+ models \$0\.40\)/);
    expect(f).toMatch(/12:59:10 ! 12 requests waiting/);
    expect(f).toMatch(/Tab pane · ↑↓ select/);
    expect(lines(t.frame()).length).toBeLessThanOrEqual(24);
    for (const l of lines(t.frame())) expect([...l].length).toBeLessThanOrEqual(80);
  });

  it('120×40 shows every shard and burst row with sparklines; nothing is cut', async () => {
    const t = show(sampleSnapshot(), { columns: 120, rows: 40 });
    await t.until((f) => /LUNA top · \d\d:\d\d:\d\d UTC/.test(f), 'the first snapshot');
    const f = plain(t.frame());
    for (const s of ['alpha', 'big', 'cpp', 'delta', 'b1', 'b2', 'b3']) expect(f).toContain(s);
    expect(f).not.toMatch(/… \d+ more/);
    expect(f).toMatch(/[▁▂▃▄▅▆▇█]{5}/);
    expect(f).toMatch(/autoscaler 13:00:00 .*launch ×1: queue 12 > 8 for 60s/);
    expect(f).toMatch(/queued 7 · running 1 · done 420 · failed 2 · oldest waiting 2m \(entity-sheet\)/);
    expect(f).toMatch(/global budget \(month\): \$88\.20 of soft \$80\.00 \/ hard \$200\.00 — over soft limit/);
    for (const l of lines(t.frame())) expect([...l].length).toBeLessThanOrEqual(120);
  });

  it('a source that is down: its pane says "unreachable since", the others keep their figures', async () => {
    const s = sampleSnapshot();
    s.sources.serve = { configured: true, ok: false, error: 'luna serve is not running', unreachableSince: '2026-12-05T12:55:01.000Z', updatedAt: '2026-12-05T12:55:00.000Z' };
    s.sources.money = { configured: true, ok: false, error: 'connect ECONNREFUSED 127.0.0.1:5432', unreachableSince: '2026-12-05T12:57:00.000Z', updatedAt: null };
    s.money = null;
    const t = show(s, { columns: 100, rows: 40 });
    await t.until((f) => /LUNA top · \d\d:\d\d:\d\d UTC/.test(f), 'the first snapshot');
    const f = plain(t.frame());
    expect(f).toContain('unreachable since 12:55:01: luna serve is not running');
    expect(f).toContain('unreachable since 12:57:00: connect ECONNREFUSED 127.0.0.1:5432');
    expect(f).toMatch(/turns\/s 3\.25/);
    expect(f).toMatch(/queued 7/);
  });

  it('restart asks first: n cancels with no call, y restarts the selected shard and says so', async () => {
    const t = show(sampleSnapshot());
    await t.until((f) => /LUNA top · \d\d:\d\d:\d\d UTC/.test(f), 'the first snapshot');
    await t.press(KEY.tab);
    await t.until((f) => plain(f).includes('▶ Shards'), 'the shards pane focused');
    await t.press(KEY.down);
    await t.press('r');
    await t.until((f) => f.includes('Restart shard big? Requests running on it fail. [y/N]'), 'the confirmation');
    await t.press('n');
    await t.until((f) => f.includes('cancelled'), 'cancelled');
    expect(t.calls).toEqual([]);
    await t.press('r');
    await t.press('y');
    await t.until((f) => f.includes('big restarted; it shows ready once its engine answers'), 'the result');
    expect(t.calls).toEqual(['restart big']);
  });

  it('drain and terminate a burst instance, each after a confirmation', async () => {
    const t = show(sampleSnapshot());
    await t.until((f) => /LUNA top · \d\d:\d\d:\d\d UTC/.test(f), 'the first snapshot');
    await t.press('3');
    await t.until((f) => plain(f).includes('▶ Burst'), 'the burst pane focused');
    await t.press('d');
    await t.until((f) => f.includes('Drain burst instance b1, then terminate it? [y/N]'), 'drain confirmation');
    await t.press('y');
    await t.until((f) => f.includes('luna-default-b1: terminated'), 'drained');
    await t.press(KEY.down);
    await t.press('t');
    await t.until((f) => f.includes('Terminate burst instance b2 now? Requests on it fail. [y/N]'), 'terminate confirmation');
    await t.press(KEY.esc);
    await t.until((f) => f.includes('cancelled'), 'cancelled by Esc');
    await t.press('t');
    await t.press('Y');
    await t.until((f) => f.includes('luna-default-b2: terminated'), 'terminated');
    expect(t.calls).toEqual(['drain b1', 'terminate b2']);
    // shard keys do nothing outside the shards pane, and say where to go
    await t.press('r');
    await t.until((f) => f.includes('select a shard first (Tab to Shards)'), 'the hint');
  });

  it("l opens the selected shard's log tail; Esc closes it", async () => {
    const t = show(sampleSnapshot());
    await t.until((f) => /LUNA top · \d\d:\d\d:\d\d UTC/.test(f), 'the first snapshot');
    await t.press('2');
    await t.press(KEY.down);
    await t.press(KEY.down);
    await t.press('l');
    await t.until((f) => f.includes('log: cpp (l refreshes, Esc closes)') && f.includes('cpp log line 22'), 'the log tail');
    expect(lines(t.frame()).length).toBeLessThanOrEqual(24);
    await t.press(KEY.esc);
    await t.until((f) => f.includes('▶ Shards'), 'back to the panes');
  });

  it('keys that arrive in one chunk (typed ahead on a busy machine or over SSH) each act, in order', async () => {
    const t = show(sampleSnapshot());
    await t.until((f) => /LUNA top · \d\d:\d\d:\d\d UTC/.test(f), 'the first snapshot');
    await t.press('2jjl');
    await t.until((f) => f.includes('log: cpp (l refreshes, Esc closes)'), 'the log tail of the third shard');
  });

  it('a pane too long for 80×24 ends with "… N more"; Enter zooms it to the whole screen and the selection scrolls into view', async () => {
    const t = show(sampleSnapshot({ shards: 16 }));
    await t.until((f) => /LUNA top · \d\d:\d\d:\d\d UTC/.test(f), 'the first snapshot');
    expect(plain(t.frame())).toMatch(/… \d+ more line\(s\) \(Enter zooms\)/);
    await t.press('2');
    await t.press(KEY.enter);
    await t.until((f) => !/─ Service [─│]/.test(f) && f.includes('▶ Shards'), 'the zoomed pane');
    for (let i = 0; i < 15; i++) await t.press(KEY.down);
    await t.until((f) => f.includes('s15'), 'the last shard in view');
    expect(lines(t.frame()).length).toBeLessThanOrEqual(24);
    await t.press(KEY.esc);
    await t.until((f) => /─ Service [─│]/.test(f), 'all panes again');
  });

  it('NO_COLOR: no colour codes, the focused pane and alerts still marked; with colour, criticals are red', async () => {
    const s = sampleSnapshot();
    s.alerts.unshift({ key: 'shard:down:big', severity: 'critical', text: 'shard big backoff (exit 137)', since: '2026-12-05T12:59:59.000Z' });
    const level = chalk.level;
    chalk.level = 1; // Ink's chalk is off in tests: raise it so the frame shows what a colour terminal would get
    try {
      const mono = show(s);
      await mono.until((f) => /LUNA top · \d\d:\d\d:\d\d UTC/.test(f), 'the first snapshot');
      expect(mono.frame()).not.toMatch(/\x1b\[3[0-9]m|\x1b\[9[0-9]m/);
      expect(mono.frame()).toMatch(/\x1b\[7m[^\n]*▶ Service/); // focus is inverse video, which needs no colour
      expect(plain(mono.frame())).toMatch(/12:59:59 ✗ shard big backoff \(exit 137\)/);
      // the selection is marked by a glyph, not only by inverse video
      await mono.press('2');
      await mono.press('j');
      await mono.until((f) => /^›big\s+ready/m.test(plain(f)), 'the selection marker');
      const colour = show(s, { columns: 80, rows: 24 }, true);
      await colour.until((f) => /LUNA top · \d\d:\d\d:\d\d UTC/.test(f), 'the coloured snapshot');
      expect(colour.frame()).toMatch(/\x1b\[31m[^\n]*3 alert\(s\), 1 critical/);
      expect(colour.frame()).toMatch(/\x1b\[31m[^\n]*12:59:59 ✗ shard big backoff/);
    } finally {
      chalk.level = level;
    }
  });

  it('refreshes on its interval: a new snapshot replaces the last one', async () => {
    let n = 0;
    const t = show(() => sampleSnapshot({ at: new Date(Date.UTC(2026, 11, 5, 13, 0, n++)).toISOString() }));
    await t.until((f) => f.includes('13:00:03 UTC'), 'the fourth refresh');
    expect(t.reads()).toBeGreaterThanOrEqual(4);
  });
});
