/**
 * The one surface shared SQL runs on (after drizzle-orm's split: the shared code builds statements, each
 * driver only runs them and owns its transactions). SQL is written with `?` placeholders; the PostgreSQL
 * driver numbers them ($1, $2…) once per statement text.
 */

export type Row = Record<string, unknown>;

/**
 * Column types for bulk inserts. SQLite ignores them; PostgreSQL sends one array per column
 * (unnest($1::text[], …)), with jsonb and real[] sent as text and cast.
 */
export type ColType = 'text' | 'int' | 'bigint' | 'float8' | 'bool' | 'timestamptz' | 'jsonb' | 'real[]' | 'bytea';
export type Columns = readonly (readonly [name: string, type: ColType])[];

export interface Executor {
  all<T = Row>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  get<T = Row>(sql: string, params?: readonly unknown[]): Promise<T | undefined>;
  /** Runs a statement; resolves to the number of rows it changed. */
  run(sql: string, params?: readonly unknown[]): Promise<number>;
  /** Trusted multi-statement text shipped with luna (migrations, roll-up rebuilds); no parameters. */
  exec(script: string): Promise<void>;
  /**
   * Inserts rows keeping their order (seq follows it): one prepared statement run per row in SQLite,
   * one unnest() statement per batch in PostgreSQL. `suffix` is appended (e.g. an ON CONFLICT clause).
   */
  insertMany(table: string, cols: Columns, rows: readonly unknown[][], suffix?: string): Promise<void>;
}

export interface SqlDb extends Executor {
  /** The account a PostgreSQL store is confined to by row-level security; null for the owner and SQLite. */
  readonly scope: string | null;
  /**
   * One write transaction: any throw rolls everything back. SQLite takes the write lock up front (BEGIN
   * IMMEDIATE) and runs one transaction at a time per connection; PostgreSQL takes a pooled client.
   * Inside `fn` use only `tx`: the store itself waits for the transaction to end.
   */
  transaction<T>(fn: (tx: Executor) => Promise<T>, what?: string): Promise<T>;
  /** Reads that must share one tenant scope: a transaction in a scoped PostgreSQL store, else direct. */
  read<T>(fn: (q: Executor) => Promise<T>, what?: string): Promise<T>;
}
