import { type GlobalOptions, withStore } from '../../cli/context.js';
import { printJson } from '../../cli/output.js';
import { requireAccount } from '../../story/find.js';

export async function run(opts: { title: string; premise: string; style: string; account: string }, g: GlobalOptions): Promise<void> {
  await withStore(g, async (store) => {
    await requireAccount(store, opts.account);
    const story = await store.createStory({ accountId: opts.account, title: opts.title, premise: opts.premise, style: opts.style });
    if (g.json) printJson(story);
    else process.stdout.write(`created story ${story.id}: ${story.title}\nnext: luna turn ${story.id} "your first action"   (or: luna play ${story.id})\n`);
  });
}
