import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { pgTimestamp } from '../../src/store/postgres/connection.js';

/** Timestamps the server prints become the ISO-8601 strings rows carry; memoised, so asked twice it must agree. */
describe('pgTimestamp', () => {
  const parse = pg.types.getTypeParser(1184) as (v: string) => Date;
  it('gives what the driver\'s parser gives, for every offset and precision, the first time and again', () => {
    const texts = ['2026-12-07 00:12:34.567891+00', '2026-12-07 02:12:34.5+02', '2026-12-06 23:59:59-05:30', '1999-01-01 00:00:00+00', '2026-12-07 00:12:34.567891+01'];
    for (const round of [1, 2]) {
      for (const t of texts) expect(pgTimestamp(t), `${t} (round ${round})`).toBe(parse(t).toISOString());
    }
    expect(pgTimestamp('2026-12-07 02:12:34.5+02')).toBe('2026-12-07T00:12:34.500Z');
    // The same wall time at another offset is another instant: the memo is keyed by the whole text.
    expect(pgTimestamp('2026-12-07 00:12:34.567891+01')).not.toBe(pgTimestamp('2026-12-07 00:12:34.567891+00'));
  });
});
