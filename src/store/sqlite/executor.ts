import type { Columns, Executor, Row, SqlDb } from '../sql/executor.js';
import type { Statement } from 'better-sqlite3';
import type { Db } from './connection.js';

/** better-sqlite3 binds numbers, strings, bigints, buffers and null: booleans go in as 1/0. */
function bind(params: readonly unknown[]): unknown[] {
  if (!params.some((p) => typeof p === 'boolean')) return params as unknown[];
  return params.map((p) => (typeof p === 'boolean' ? (p ? 1 : 0) : p));
}

/** Prepared statements kept per connection: a context assembly runs ~15, and preparing each again cost ~20 µs. */
const MAX_STATEMENTS = 256;

function statements(db: Db): (sql: string) => Statement<unknown[]> {
  const cache = new Map<string, Statement<unknown[]>>();
  return (sql) => {
    let st = cache.get(sql);
    if (!st) {
      st = db.prepare<unknown[]>(sql);
      if (cache.size >= MAX_STATEMENTS) cache.delete(cache.keys().next().value as string);
      cache.set(sql, st);
    }
    return st;
  };
}

/** Statements on the connection, run synchronously and handed back as settled promises. */
function direct(db: Db): Executor {
  const prepare = statements(db);
  return {
    all: async <T>(sql: string, params: readonly unknown[] = []) => prepare(sql).all(...bind(params)) as T[],
    get: async <T>(sql: string, params: readonly unknown[] = []) => prepare(sql).get(...bind(params)) as T | undefined,
    run: async (sql, params = []) => prepare(sql).run(...bind(params)).changes,
    exec: async (script) => {
      db.exec(script);
    },
    insertMany: async (table: string, cols: Columns, rows: readonly unknown[][], suffix = '') => {
      if (!rows.length) return;
      const stmt = db.prepare(`INSERT INTO ${table} (${cols.map(([c]) => c).join(', ')}) VALUES (${cols.map(() => '?').join(', ')}) ${suffix}`);
      for (const r of rows) stmt.run(...bind(r));
    },
  };
}

/**
 * The async executor over one synchronous better-sqlite3 connection. An async transaction spans several
 * turns of the event loop's microtask queue, and everything on this connection would run inside it: so
 * a transaction holds a gate that every other statement and transaction on this store waits behind.
 * Transactions therefore never interleave, and no reader sees a write that may still roll back.
 */
export class SqliteDb implements SqlDb {
  readonly scope = null;
  private readonly q: Executor;
  /** Settles when the open transaction ends; undefined when none is open. */
  private gate: Promise<void> | undefined;

  constructor(readonly raw: Db) {
    this.q = direct(raw);
  }

  async all<T = Row>(sql: string, params?: readonly unknown[]): Promise<T[]> {
    // Re-checked after every wait, with no await between the check and the statement: nothing can slip in.
    while (this.gate) await this.gate;
    return this.q.all<T>(sql, params);
  }

  async get<T = Row>(sql: string, params?: readonly unknown[]): Promise<T | undefined> {
    while (this.gate) await this.gate;
    return this.q.get<T>(sql, params);
  }

  async run(sql: string, params?: readonly unknown[]): Promise<number> {
    while (this.gate) await this.gate;
    return this.q.run(sql, params);
  }

  async exec(script: string): Promise<void> {
    while (this.gate) await this.gate;
    return this.q.exec(script);
  }

  async insertMany(table: string, cols: Columns, rows: readonly unknown[][], suffix?: string): Promise<void> {
    while (this.gate) await this.gate;
    return this.q.insertMany(table, cols, rows, suffix);
  }

  async read<T>(fn: (q: Executor) => Promise<T>): Promise<T> {
    while (this.gate) await this.gate;
    return fn(this.q);
  }

  /** BEGIN IMMEDIATE takes the write lock up front, so a read-then-write cannot interleave with another process's write. */
  async transaction<T>(fn: (tx: Executor) => Promise<T>): Promise<T> {
    while (this.gate) await this.gate;
    let open!: () => void;
    this.gate = new Promise((resolve) => (open = resolve));
    try {
      this.raw.exec('BEGIN IMMEDIATE');
      try {
        const out = await fn(this.q);
        this.raw.exec('COMMIT');
        return out;
      } catch (err) {
        if (this.raw.inTransaction) this.raw.exec('ROLLBACK');
        throw err;
      }
    } finally {
      this.gate = undefined;
      open();
    }
  }
}
