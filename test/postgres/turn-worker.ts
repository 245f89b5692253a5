/**
 * Child process for the concurrency test and bench: plays turns through the real pipeline (scripted instant
 * models) against one store and prints what it committed and what every model call cost, as one JSON line.
 * argv: storeUrl storyId turns [attemptsCap]
 * With attemptsCap, it stops after that many attempts (racing on a shared story); otherwise it plays `turns` turns.
 */
import { instantCallAgent, SAMPLE_PLAN, SAMPLE_PROSE } from '../../bench/instant-models.js';
import { configSchema } from '../../src/config/schema.js';
import { runTurn } from '../../src/pipeline/run-turn.js';
import { openStore } from '../../src/store/open.js';

const [url, storyId, turnsArg, capArg] = process.argv.slice(2) as [string, string, string, string | undefined];
const config = configSchema.parse({
  agents: { preprocessor: { model: 'x' }, strategist: { model: 'x' }, writer: { model: 'x' }, dreamer: { model: 'x', imagePrompts: false } },
});
const store = await openStore({ url, poolSize: 3 }, process.cwd(), { autoMigrateSqlite: false });
const callAgent = instantCallAgent({ plan: SAMPLE_PLAN, prose: SAMPLE_PROSE });
const committed: string[] = [];
let costUsd = 0;
let busy = 0;
const other: string[] = [];
process.stdout.write('ready\n');
await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()));
const t0 = performance.now();
const want = Number(turnsArg);
const cap = capArg === undefined ? Infinity : Number(capArg);
for (let attempt = 0; committed.length < want && attempt < cap; attempt++) {
  for await (const e of runTurn({ storyId, action: `Maren presses on (${process.pid}/${attempt})` }, { store, config, callAgent })) {
    if (e.type === 'cost') costUsd += e.call.costUsd ?? 0;
    else if (e.type === 'done') committed.push(e.turn.id);
    else if (e.type === 'error') {
      if (e.exitCode === 9) busy++;
      else other.push(e.message);
    }
  }
}
const ms = performance.now() - t0;
await store.close();
process.stdout.write(`${JSON.stringify({ committed, costUsd, busy, other, ms })}\n`);
process.stdin.destroy();
