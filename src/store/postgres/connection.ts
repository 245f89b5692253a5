import pg from 'pg';
import { DatabaseError, isPgAuthFailure, LunaError, PG_AUTH_HINT, redactSecrets } from '../../errors.js';
import type { Columns, Executor, Row, SqlDb } from '../sql/executor.js';

export type { Row };

const TIMESTAMPTZ = 1184;
const INT8 = 20;
const NUMERIC = 1700;
const parseDate = pg.types.getTypeParser(TIMESTAMPTZ) as (v: string) => Date;

/**
 * A timestamptz as the server prints it (text protocol, or ::text inside JSON) → the ISO-8601 string rows carry.
 * Memoised by its text (which carries its offset, so the result depends on nothing else): a story's entities and
 * turns come back on every context assembly, and parsing was ~0.2 ms of each on a 10,000-turn story.
 */
export const pgTimestamp = (v: string): string => {
  let iso = isoByText.get(v);
  if (iso === undefined) {
    iso = parseDate(v).toISOString();
    if (isoByText.size >= MAX_MEMO) isoByText.clear();
    isoByText.set(v, iso);
  }
  return iso;
};
const isoByText = new Map<string, string>();
const MAX_MEMO = 50_000;

/**
 * Per-pool type parsers (never the global pg.types): timestamps come back as the same ISO-8601 strings
 * SQLite stores, counts and sums as numbers.
 */
const types = {
  getTypeParser: ((oid: number, format?: string) => {
    if (oid === TIMESTAMPTZ) return pgTimestamp;
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
  if (isPgAuthFailure(e.code, msg)) return new DatabaseError(`PostgreSQL refused the login (${what}): ${msg}`, { hint: PG_AUTH_HINT, cause: err });
  if (e.code === 'ECONNREFUSED' || e.code === 'ENOTFOUND' || /connect|terminat/i.test(msg)) {
    return new DatabaseError(`cannot reach PostgreSQL (${what}): ${msg}`, { hint: 'check database.url and that the server is running', cause: err });
  }
  if (e.code === '3D000') return new DatabaseError(`PostgreSQL database does not exist: ${msg}`, { hint: 'create it first (createdb) or fix database.url', cause: err });
  if (e.code === '42501') return new DatabaseError(`PostgreSQL refused (${what}): ${msg}`, { hint: 'row-level security or grants forbid this for the account', cause: err });
  return new DatabaseError(`PostgreSQL error (${what}): ${msg}`, { cause: err });
}

/** A client of its own from the pool (for a transaction or a session lock), or a DatabaseError saying why not. */
export async function connect(pool: pg.Pool): Promise<pg.PoolClient> {
  try {
    return await pool.connect();
  } catch (err) {
    throw dbError(err, 'connect');
  }
}

const numbered = new Map<string, string>();

/** `?` placeholders → $1, $2…, skipping quoted text; memoised per statement text. Text with no `?` passes unchanged. */
export function numberPlaceholders(sql: string): string {
  let out = numbered.get(sql);
  if (out !== undefined) return out;
  out = '';
  let n = 0;
  let quote: string | null = null;
  for (const ch of sql) {
    if (quote) {
      if (ch === quote) quote = null;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
    } else if (ch === '?') {
      out += `$${++n}`;
      continue;
    }
    out += ch;
  }
  if (numbered.size >= 1000) numbered.delete(numbered.keys().next().value as string);
  numbered.set(sql, out);
  return out;
}

const BATCH = 5000;

/** jsonb and real[] travel as text arrays and are cast per row: array-of-jsonb parameters are awkward in pg. */
const CAST: Partial<Record<string, string>> = { jsonb: 'jsonb', 'real[]': 'real[]' };

/** Statements on one client (inside a transaction) or on the pool (owner autocommit reads). */
export function bind(c: pg.PoolClient | pg.Pool): Executor {
  const query = (sql: string, params: readonly unknown[] = []) => c.query(numberPlaceholders(sql), params as unknown[]);
  return {
    all: async <T>(sql: string, params?: readonly unknown[]) => (await query(sql, params)).rows as T[],
    get: async <T>(sql: string, params?: readonly unknown[]) => (await query(sql, params)).rows[0] as T | undefined,
    run: async (sql, params) => (await query(sql, params)).rowCount ?? 0,
    exec: async (script) => {
      // Simple-protocol multi-statement text: only trusted SQL shipped with luna comes here.
      await c.query(script);
    },
    insertMany: async (table: string, cols: Columns, rows: readonly unknown[][], suffix = '') => {
      const names = cols.map(([n]) => n);
      const select = cols.map(([n, t]) => (CAST[t] ? `x.${n}::${t}` : `x.${n}`)).join(', ');
      const sql = `INSERT INTO ${table} (${names.join(', ')})
        SELECT ${select} FROM unnest(${cols.map(([, t], i) => `$${i + 1}::${CAST[t] ? 'text' : t}[]`).join(', ')})
          WITH ORDINALITY AS x(${names.join(', ')}, ord)
        ORDER BY x.ord ${suffix}`;
      for (let at = 0; at < rows.length; at += BATCH) {
        const batch = rows.slice(at, at + BATCH);
        await c.query(sql, cols.map((_, i) => batch.map((r) => r[i])));
      }
    },
  };
}

/**
 * The executor for one tenant scope. Everything is PgBouncer (transaction mode) safe: unnamed statements
 * only, and the tenant role/account are transaction-local (set_config(..., true)), so nothing leaks to the
 * next transaction that reuses the server connection.
 */
export class PgDb implements SqlDb {
  private readonly pooled: Executor;

  constructor(
    readonly pool: pg.Pool,
    /** Account whose rows the database lets this scope see; null = owner (no row-level security). */
    readonly accountId: string | null,
    readonly role: string = 'luna_app',
  ) {
    this.pooled = bind(pool);
  }

  get scope(): string | null {
    return this.accountId;
  }

  async transaction<T>(fn: (tx: Executor) => Promise<T>, what = 'transaction'): Promise<T> {
    const client = await connect(this.pool);
    let broken = false;
    try {
      // One round trip for both (a simple-protocol script takes no parameters: the two values are quoted literals).
      await client.query(this.accountId === null ? 'BEGIN'
        : `BEGIN; SELECT set_config('role', ${client.escapeLiteral(this.role)}, true), set_config('luna.account_id', ${client.escapeLiteral(this.accountId)}, true)`);
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
  async read<T>(fn: (q: Executor) => Promise<T>, what = 'query'): Promise<T> {
    if (this.accountId !== null) return this.transaction(fn, what);
    try {
      return await fn(this.pooled);
    } catch (err) {
      throw dbError(err, what);
    }
  }

  /**
   * On the owner's connection, outside row-level security: for a query that confines itself to this scope's
   * account (it takes `scope` as a parameter and checks it), or that reads no rows back (ANALYZE). Under a
   * policy the planner may not use an index through an operator that is not leakproof (tsvector @@) before
   * the policy's own filter: a tenant's text search was a sequential scan of every account's turns, ~100 ms
   * at 10,000 turns instead of ~3.
   */
  async asOwner<T>(fn: (q: Executor) => Promise<T>, what = 'query'): Promise<T> {
    try {
      return await fn(this.pooled);
    } catch (err) {
      throw dbError(err, what);
    }
  }

  all<T = Row>(sql: string, params?: readonly unknown[]): Promise<T[]> {
    return this.read((q) => q.all<T>(sql, params));
  }

  get<T = Row>(sql: string, params?: readonly unknown[]): Promise<T | undefined> {
    return this.read((q) => q.get<T>(sql, params));
  }

  run(sql: string, params?: readonly unknown[]): Promise<number> {
    return this.transaction((q) => q.run(sql, params));
  }

  exec(script: string): Promise<void> {
    return this.transaction((q) => q.exec(script));
  }

  insertMany(table: string, cols: Columns, rows: readonly unknown[][], suffix?: string): Promise<void> {
    return this.transaction((q) => q.insertMany(table, cols, rows, suffix));
  }
}
