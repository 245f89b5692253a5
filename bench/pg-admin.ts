import pg from 'pg';

/** The PostgreSQL server benches create their scratch databases on ($LUNA_BENCH_PG, loopback by default). */
export const PG_BASE = process.env.LUNA_BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432';

/** Runs one statement on the server's `postgres` database (CREATE/DROP DATABASE). */
export async function admin(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: `${PG_BASE}/postgres` });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}
