/**
 * Child process for the dead-worker test: opens the store named by a database URL, claims one job through
 * the store queue (as `luna dream` does) and holds it forever, printing "claimed <id>" once it has it.
 * The test then kills it with SIGKILL, the way a crash or `kill -9` would.
 */
import { StoreJobQueue } from '../../src/queue/store-queue.js';
import { openStore } from '../../src/store/open.js';

const [url, home] = process.argv.slice(2) as [string, string];
const store = await openStore({ url, poolSize: 2 }, home);
const queue = new StoreJobQueue(store);
await queue.run(async (job) => {
  process.stdout.write(`claimed ${job.id}\n`);
  await new Promise(() => undefined);
}, { workerId: 'doomed', once: true, lockMs: 120_000 });
