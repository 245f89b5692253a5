import { type GlobalOptions, withStore } from '../../cli/context.js';
import { printJson } from '../../cli/output.js';
import { UsageError } from '../../errors.js';
import { storyBundleSchema } from '../../story/bundle.js';
import { requireAccount } from '../../story/find.js';

interface NewOpts {
  title: string;
  premise: string;
  style: string;
  account: string;
}

export async function run(opts: NewOpts, g: GlobalOptions): Promise<void> {
  const input = checkInput(opts);
  await withStore(g, async (store) => {
    await requireAccount(store, opts.account);
    const story = await store.createStory({ accountId: opts.account, ...input });
    if (g.json) printJson(story);
    else process.stdout.write(`created story ${story.id}: ${story.title}\nnext: luna turn ${story.id} "your first action"   (or: luna play ${story.id})\n`);
  });
}

/**
 * A title is how a story is found again in `story list` and the picker, so it cannot be blank. The premise
 * may be empty: the first action can set the scene, and story files (import) allow it too. Lengths follow
 * the story file format, so every story `new` makes can be exported and imported back.
 */
function checkInput(opts: NewOpts): { title: string; premise: string; style: string } {
  const title = opts.title.trim();
  if (!title) throw new UsageError('--title is blank: a story needs a title', { hint: 'e.g. luna story new --title "The Lighthouse" --premise "A keeper finds a stranger on the rocks"' });
  const input = { title, premise: opts.premise.trim(), style: opts.style.trim() };
  const shape = storyBundleSchema.shape;
  for (const [flag, schema, value] of [['--title', shape.title, input.title], ['--premise', shape.premise, input.premise], ['--style', shape.style, input.style]] as const) {
    const r = schema.safeParse(value);
    if (!r.success) throw new UsageError(`${flag} is too long (${value.length} characters): ${r.error.issues[0]?.message ?? 'invalid'}`, { hint: flag === '--title' ? 'shorten it' : 'shorten it; long background can go in lore (see Story files in the README)' });
  }
  return input;
}
