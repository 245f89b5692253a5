import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readMachine } from './machine.js';

/**
 * `npm run bench [names…]`: runs every bench/<name>.ts module exporting `run()` and writes
 * bench/results/<name>.json plus bench/results/summary.md. Speed goals live here, not in tests.
 */
const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const outDir = path.join(root, 'bench', 'results');

const wanted = process.argv.slice(2);
const modules = readdirSync(here)
  .filter((f) => f.endsWith('.js') && !['run.js', 'story-gen.js', 'recall-gen.js', 'instant-models.js', 'prng.js', 'pg-admin.js', 'machine.js', 'assembly-timing.js'].includes(f))
  .map((f) => f.replace(/\.js$/, ''))
  .filter((n) => !wanted.length || wanted.includes(n))
  .sort();

mkdirSync(outDir, { recursive: true });
const summary: string[] = [`# LUNA benchmarks`, '', `Run ${new Date().toISOString()} on ${process.platform} ${process.arch}, Node ${process.version}.`, ''];
let failed = 0;
for (const name of modules) {
  const mod = (await import(path.join(here, `${name}.js`))) as { run?: () => Promise<Record<string, unknown>> };
  if (typeof mod.run !== 'function') continue;
  process.stderr.write(`bench ${name}…\n`);
  const t0 = performance.now();
  try {
    const before = readMachine();
    const result = await mod.run();
    // Read again after: a run can straddle a change in the machine's speed.
    const machine = { before, afterCalibrationMs: readMachine().calibrationMs };
    const record = { bench: name, at: new Date().toISOString(), seconds: +((performance.now() - t0) / 1000).toFixed(1), machine, ...result };
    writeFileSync(path.join(outDir, `${name}.json`), `${JSON.stringify(record, null, 2)}\n`);
    summary.push(`## ${name}`, '', '```json', JSON.stringify({ machine, ...result }, null, 2), '```', '');
    process.stderr.write(`bench ${name}: done in ${record.seconds}s\n`);
  } catch (err) {
    failed++;
    summary.push(`## ${name}`, '', `FAILED: ${(err as Error).message}`, '');
    process.stderr.write(`bench ${name}: FAILED ${(err as Error).stack}\n`);
  }
}
writeFileSync(path.join(outDir, wanted.length ? `summary-${wanted.join('-')}.md` : 'summary.md'), `${summary.join('\n')}\n`);
process.stderr.write(`results in ${path.relative(process.cwd(), outDir)}/\n`);
process.exitCode = failed ? 1 : 0;
