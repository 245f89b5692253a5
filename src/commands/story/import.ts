import { readFileSync } from 'node:fs';
import { type GlobalOptions, withStore } from '../../cli/context.js';
import { printJson, progress } from '../../cli/output.js';
import { UsageError } from '../../errors.js';
import { storyBundleSchema } from '../../story/bundle.js';
import { requireAccount } from '../../story/find.js';

export async function run(file: string, opts: { account: string }, g: GlobalOptions): Promise<void> {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new UsageError(e.code === 'ENOENT' ? `no such file: ${file}` : `${file} is not valid JSON: ${e.message}`, { hint: 'the format is documented in the README (Story files)' });
  }
  const parsed = storyBundleSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(top level)'}: ${i.message}`);
    throw new UsageError(`${file} is not a LUNA story: ${lines.join('; ')}`, { hint: 'the format is documented in the README (Story files)' });
  }
  await withStore(g, async (store) => {
    const p = await progress(`importing ${parsed.data.turns.length} turns…`, { json: g.json });
    const t0 = performance.now();
    await requireAccount(store, opts.account);
    const story = await store.importStory(parsed.data, opts.account);
    const ms = performance.now() - t0;
    p.succeed(`imported "${story.title}"`);
    const turns = parsed.data.turns.length + (parsed.data.branches ?? []).reduce((n, b) => n + b.turns.length, 0);
    if (g.json) return printJson({ story, turns, ms: Math.round(ms) });
    process.stdout.write(`imported story ${story.id}: ${turns} turns in ${(ms / 1000).toFixed(2)}s\n`);
  });
}
