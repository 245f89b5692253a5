import { type GlobalOptions, withStore } from '../../cli/context.js';
import { printJson, printTable } from '../../cli/output.js';
import { checkRef } from '../../story/find.js';

export async function run(opts: { account?: string }, g: GlobalOptions): Promise<void> {
  if (opts.account !== undefined) checkRef(opts.account, 'account');
  await withStore(g, async (store) => {
    const stories = await store.listStories(opts.account !== undefined ? { accountId: opts.account } : undefined);
    if (g.json) return printJson(stories);
    if (!stories.length) {
      process.stdout.write('no stories yet. Start one: luna story new --title "…" --premise "…"\n');
      return;
    }
    await printTable(
      ['id', 'title', 'turns', 'account', 'updated'],
      stories.map((s) => [s.id, s.title.length > 40 ? `${s.title.slice(0, 39)}…` : s.title, s.turnCount, s.accountId, s.updatedAt.replace('T', ' ').slice(0, 16)]),
      { align: ['left', 'left', 'right', 'left', 'left'] },
    );
  });
}
