/**
 * Child process for the cross-process claim test: opens the same SQLite file, waits for "go" on stdin so
 * all workers start together, then claims and completes jobs until none are left; prints claimed ids as JSON.
 */
import { openSqliteStore } from '../../src/store/sqlite/index.js';

const [file, worker] = process.argv.slice(2) as [string, string];
// Auto-migrate like every CLI process does, so racing first opens of a fresh file are exercised too.
const store = await openSqliteStore(file, { autoMigrate: true });
process.stdout.write('ready\n');
await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()));
const claimed: string[] = [];
for (;;) {
  const job = await store.claimJob(worker, 60_000);
  if (!job) break;
  claimed.push(job.id);
  await store.completeJob(job.id, worker);
}
await store.close();
process.stdout.write(`${JSON.stringify(claimed)}\n`);
process.stdin.destroy();
