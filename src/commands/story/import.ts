import { readFileSync, statSync } from 'node:fs';
import { type GlobalOptions, withStore } from '../../cli/context.js';
import { printJson, progress } from '../../cli/output.js';
import { NotFoundError, UsageError } from '../../errors.js';
import { storyBundleSchema } from '../../story/bundle.js';
import { requireAccount } from '../../story/find.js';

const FORMAT_HINT = 'the format is documented in the README (Story files)';

export async function run(file: string, opts: { account: string }, g: GlobalOptions): Promise<void> {
  const text = readStoryFile(file);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${file} is not valid JSON: ${(err as Error).message}`, { hint: FORMAT_HINT });
  }
  const parsed = storyBundleSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(top level)'}: ${i.message}`);
    throw new UsageError(`${file} is not a LUNA story: ${lines.join('; ')}`, { hint: FORMAT_HINT });
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

/** A missing file is "not found" (exit 4, as in the README); a folder or unreadable file is the user's input (exit 2). */
function readStoryFile(file: string): string {
  try {
    if (statSync(file).isDirectory()) {
      throw new UsageError(`${file} is a folder, not a story file`, { hint: 'name the .json file inside it that `luna story export` wrote' });
    }
    return readFileSync(file, 'utf8');
  } catch (err) {
    if (err instanceof UsageError) throw err;
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT' || e.code === 'ENOTDIR') {
      throw new NotFoundError(`no such file: ${file}`, { hint: 'check the path; `luna story export ID -o FILE.json` writes one' });
    }
    if (e.code === 'EACCES' || e.code === 'EPERM') throw new UsageError(`cannot read ${file}: permission denied`, { hint: 'check the file\'s permissions' });
    throw new UsageError(`cannot read ${file}: ${e.code ?? e.message}`, { hint: FORMAT_HINT });
  }
}
