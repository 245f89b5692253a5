import { readFileSync, statSync } from 'node:fs';
import { type GlobalOptions, withStore } from '../../cli/context.js';
import { printJson, progress } from '../../cli/output.js';
import { NotFoundError, UsageError } from '../../errors.js';
import { storyBundleSchema } from '../../story/bundle.js';
import { requireAccount } from '../../story/find.js';
import { plural } from '../../util/plural.js';
import { importCard, isCardFile } from './import-card.js';

const FORMAT_HINT = 'the format is documented in the README (Story files)';

/** Node cannot hold a string longer than about 512 MiB; a story file is read whole, so this is the ceiling. */
export const IMPORT_MAX_MB_CEILING = 512;
export const IMPORT_MAX_MB_DEFAULT = 256;

export async function run(file: string, opts: { account: string; maxMb?: string }, g: GlobalOptions): Promise<void> {
  const maxMb = parseMaxMb(opts.maxMb);
  if (isCardFile(file)) return importCard(file, opts, g);
  const text = readStoryFile(file, maxMb);
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
    const p = await progress(`importing ${plural(parsed.data.turns.length, 'turn')}…`, { json: g.json });
    const t0 = performance.now();
    await requireAccount(store, opts.account);
    const story = await store.importStory(parsed.data, opts.account);
    const ms = performance.now() - t0;
    p.succeed(`imported "${story.title}"`);
    const turns = parsed.data.turns.length + (parsed.data.branches ?? []).reduce((n, b) => n + b.turns.length, 0);
    if (g.json) return printJson({ story, turns, ms: Math.round(ms) });
    process.stdout.write(`imported story ${story.id}: ${plural(turns, 'turn')} in ${(ms / 1000).toFixed(2)}s\n`);
  });
}

/** A missing file is "not found" (exit 4, as in the README); a folder or unreadable file is the user's input (exit 2). */
function readStoryFile(file: string, maxMb: number): string {
  try {
    const st = statSync(file);
    if (st.isDirectory()) {
      throw new UsageError(`${file} is a folder, not a story file`, { hint: 'name the .json file inside it that `luna story export` wrote' });
    }
    // Refused by size before reading: a 609 MB file failed deep in Node with ERR_STRING_TOO_LONG.
    if (st.isFile() && st.size > maxMb * 1024 * 1024) throw tooBig(file, st.size, maxMb);
    const text = readFileSync(file, 'utf8');
    if (text.length > maxMb * 1024 * 1024) throw tooBig(file, Buffer.byteLength(text), maxMb);
    return text;
  } catch (err) {
    if (err instanceof UsageError) throw err;
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT' || e.code === 'ENOTDIR') {
      throw new NotFoundError(`no such file: ${file}`, { hint: 'check the path; `luna story export ID -o FILE.json` writes one' });
    }
    if (e.code === 'ERR_STRING_TOO_LONG') throw tooBig(file, null, maxMb);
    if (e.code === 'EACCES' || e.code === 'EPERM') throw new UsageError(`cannot read ${file}: permission denied`, { hint: 'check the file\'s permissions' });
    throw new UsageError(`cannot read ${file}: ${e.code ?? e.message}`, { hint: FORMAT_HINT });
  }
}

function tooBig(file: string, bytes: number | null, maxMb: number): UsageError {
  const size = bytes === null ? 'larger than Node can read whole' : `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
  return new UsageError(`${file} is ${size}; story import reads at most ${maxMb} MiB`, {
    hint: maxMb < IMPORT_MAX_MB_CEILING
      ? `if it really is one story, raise the limit with --max-mb (up to ${IMPORT_MAX_MB_CEILING}); check it is the file \`luna story export\` wrote`
      : `a story file this large cannot be imported whole; check it is the file \`luna story export\` wrote`,
  });
}

function parseMaxMb(raw: string | undefined): number {
  if (raw === undefined) return IMPORT_MAX_MB_DEFAULT;
  const n = Number(raw);
  if (!/^\s*\d+\s*$/.test(raw) || n < 1 || n > IMPORT_MAX_MB_CEILING) {
    throw new UsageError(`--max-mb expects a whole number of MiB from 1 to ${IMPORT_MAX_MB_CEILING}, found "${raw}"`, { hint: `the default is ${IMPORT_MAX_MB_DEFAULT}` });
  }
  return n;
}
