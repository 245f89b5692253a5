import pg from 'pg';
import { DatabaseError, LunaError, redactSecrets } from '../../errors.js';

export type Row = Record<string, unknown>;

/** What every area module runs its SQL through: one client inside one transaction (or autocommit). */
export interface Q {
  rows(sql: string, args?: unknown[]): Promise<Row[]>;
  one(sql: string, args?: unknown[]): Promise<Row | undefined>;
  run(sql: string, args?: unknown[]): Promise<number>;
}

const TIMESTAMPTZ = 1184;
const INT8 = 20;
const NUMERIC = 1700;
const parseDate = pg.types.getTypeParser(TIMESTAMPTZ) as (v: string) => Date;

/**
 * Per-pool type parsers (never the global pg.types): timestamps come back as the same ISO-8601 strings
 * SQLite stores, counts and sums as numbers.
 */
const types = {
  getTypeParser: ((oid: number, format?: string) => {
    if (oid === TIMESTAMPTZ) return (v: string) => parseDate(v).toISOString();
    if (oid === INT8 || oid === NUMERIC) return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format as 'text');
  }) as typeof pg.types.getTypeParser,
};

export function createPool(url: string, poolSize: number): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max: poolSize, types, idleTimeoutMillis: 10_000, connectionTimeoutMillis: 15_000 });
  // An idle client losing its server (restart, failover) must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  return pool;
}

/** Wraps driver errors as DatabaseError (exit 5) without ever echoing a password from the URL. */
export function dbError(err: unknown, what: string): LunaError {
  if (err instanceof LunaError) return err;
  const e = err as { message?: string; code?: string };
  const msg = redactSecrets(e.message ?? String(err));
  if (e.code === 'ECONNREFUSED' || e.code === 'ENOTFOUND' || /connect|terminat/i.test(msg)) {
    return new DatabaseError(`cannot reach PostgreSQL (${what}): ${msg}`, { hint: 'check database.url and that the server is running', cause: err });
  }
  if (e.code === '3D000') return new DatabaseError(`PostgreSQL database does not exist: ${msg}`, { hint: 'create it first (createdb) or fix database.url', cause: err });
  if (e.code === '42501') return new DatabaseError(`PostgreSQL refused (${what}): ${msg}`, { hint: 'row-level security or grants forbid this for the account', cause: err });
  return new DatabaseError(`PostgreSQL error (${what}): ${msg}`, { cause: err });
}

export function bind(c: pg.PoolClient | pg.Pool): Q {
  return {
    rows: async (sql, args = []) => (await c.query(sql, args)).rows as Row[],
    one: async (sql, args = []) => (await c.query(sql, args)).rows[0] as Row | undefined,
    run: async (sql, args = []) => (await c.query(sql, args)).rowCount ?? 0,
  };
}

/**
 * Statement runner for one tenant scope. Everything is PgBouncer (transaction mode) safe: unnamed
 * statements only, and the tenant role/account are transaction-local (set_config(..., true)), so nothing
 * leaks to the next transaction that reuses the server connection.
 */
export class PgDb {
  constructor(
    readonly pool: pg.Pool,
    /** Account whose rows the database lets this scope see; null = owner (no row-level security). */
    readonly accountId: string | null,
    readonly role: string = 'luna_app',
  ) {}

  /** One transaction; any throw rolls everything back. */
  async tx<T>(fn: (q: Q) => Promise<T>, what = 'transaction'): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw dbError(err, 'connect');
    }
    let broken = false;
    try {
      await client.query('BEGIN');
      if (this.accountId !== null) {
        await client.query(`SELECT set_config('role', $1, true), set_config('luna.account_id', $2, true)`, [this.role, this.accountId]);
      }
      const out = await fn(bind(client));
      await client.query('COMMIT');
      return out;
    } catch (err) {
      try {
        await client.query('ROLLBACK');
      } catch {
        broken = true;
      }
      throw dbError(err, what);
    } finally {
      client.release(broken);
    }
  }

  /** Reads: autocommit on the pool for the owner scope; a transaction when the tenant settings must apply. */
  async read<T>(fn: (q: Q) => Promise<T>, what = 'query'): Promise<T> {
    if (this.accountId !== null) return this.tx(fn, what);
    try {
      return await fn(bind(this.pool));
    } catch (err) {
      throw dbError(err, what);
    }
  }
}
