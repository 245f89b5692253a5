import { describe, expect, it } from 'vitest';
import { isPrivateHost } from '../../src/util/private-host.js';
import { parseWindow } from '../../src/cost/period.js';
import { parseGroupBy } from '../../src/cost/report.js';
import { parseVolumes } from '../../src/commands/cost/project.js';

const NOW = new Date('2026-03-15T10:30:00.000Z');

describe('report windows', () => {
  it('reads dates, months, relative spans and named periods (UTC, half-open)', () => {
    expect(parseWindow({ since: '2026-11-01' }, NOW)).toEqual({ since: '2026-11-01T00:00:00.000Z' });
    expect(parseWindow({ since: '2026-11-01', until: '2026-11-30' }, NOW)).toEqual({ since: '2026-11-01T00:00:00.000Z', until: '2026-12-01T00:00:00.000Z' });
    expect(parseWindow({ since: '7d' }, NOW)).toEqual({ since: '2026-03-08T10:30:00.000Z' });
    expect(parseWindow({ since: '24h' }, NOW)).toEqual({ since: '2026-03-14T10:30:00.000Z' });
    expect(parseWindow({ since: 'today' }, NOW)).toEqual({ since: '2026-03-15T00:00:00.000Z' });
    expect(parseWindow({ since: 'this-month' }, NOW)).toEqual({ since: '2026-03-01T00:00:00.000Z' });
    expect(parseWindow({ since: 'last-month' }, NOW)).toEqual({ since: '2026-02-01T00:00:00.000Z', until: '2026-03-01T00:00:00.000Z' });
    expect(parseWindow({ since: 'last-month', until: '2026-02-10' }, NOW)).toEqual({ since: '2026-02-01T00:00:00.000Z', until: '2026-02-11T00:00:00.000Z' });
    expect(parseWindow({ since: '2026-01' }, new Date('2026-01-05T00:00:00Z'))).toEqual({ since: '2026-01-01T00:00:00.000Z' });
  });

  it('rejects nonsense, impossible dates and empty windows with usage errors', () => {
    for (const bad of [{ since: 'last-tuesday' }, { since: '2026-02-30' }, { since: '2026-03-02', until: '2026-03-01' }]) {
      expect(() => parseWindow(bad, NOW)).toThrow(expect.objectContaining({ exitCode: 2 }));
    }
  });
});

describe('flags', () => {
  it('parses groupings and volumes', () => {
    expect(parseGroupBy('day, Agent,day')).toEqual(['day', 'agent']);
    expect(() => parseGroupBy('colour')).toThrow(/unknown grouping/);
    expect(parseVolumes('10k, 100000,1m,2.5k')).toEqual([10_000, 100_000, 1_000_000, 2500]);
    expect(() => parseVolumes('ten')).toThrow(/not a number/);
  });

  it('treats loopback and private hosts as self-hosted, public ones as cloud', () => {
    for (const h of ['localhost', '127.0.0.1', '10.2.3.4', '192.168.1.9', '172.20.0.1', '[::1]', 'gpu-box.local']) expect(isPrivateHost(h), h).toBe(true);
    for (const h of ['api.openai.com', '8.8.8.8', '172.32.0.1', 'fcdn.example.com']) expect(isPrivateHost(h), h).toBe(false);
  });
});
