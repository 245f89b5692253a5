import { DatabaseError, redactSecrets } from '../../errors.js';

/**
 * `pg_dump -Fc` / `pg_restore --clean --if-exists` around a database URL. The password travels in
 * PGPASSWORD, never on the command line (where `ps` would show it) or in an error message.
 */
function target(url: string): { dbUrl: string; env: Record<string, string> } {
  const u = new URL(url);
  const env: Record<string, string> = {};
  if (u.password) {
    env.PGPASSWORD = decodeURIComponent(u.password);
    u.password = '';
  }
  return { dbUrl: u.toString(), env };
}

async function runTool(bin: string, args: string[], env: Record<string, string>): Promise<void> {
  const { execa } = await import('execa');
  try {
    await execa(bin, args, { env: { ...process.env, ...env }, stdin: 'ignore' });
  } catch (err) {
    const e = err as { code?: string; stderr?: string; shortMessage?: string; exitCode?: number };
    if (e.code === 'ENOENT') {
      throw new DatabaseError(`${bin} not found on PATH`, { hint: 'install the PostgreSQL client tools (postgresql-client, same major version as the server)' });
    }
    const detail = (e.stderr ?? e.shortMessage ?? String(err)).trim().split('\n').slice(-3).join(' / ');
    throw new DatabaseError(`${bin} failed (exit ${e.exitCode ?? '?'}): ${redactSecrets(detail)}`, { cause: err });
  }
}

export async function pgDump(url: string, file: string): Promise<void> {
  const { dbUrl, env } = target(url);
  await runTool('pg_dump', ['-Fc', '--no-owner', '-f', file, '--dbname', dbUrl], env);
}

/** Replaces the database's objects with the dump's, in one transaction: a failed restore changes nothing. */
export async function pgRestore(url: string, file: string): Promise<void> {
  const { dbUrl, env } = target(url);
  await runTool('pg_restore', ['--clean', '--if-exists', '--no-owner', '--single-transaction', '--exit-on-error', '--dbname', dbUrl, file], env);
}
