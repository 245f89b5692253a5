import { type GlobalOptions, withStore } from '../../cli/context.js';
import { printJson, printTable } from '../../cli/output.js';

export async function run(opts: { account?: string }, g: GlobalOptions): Promise<void> {
  await withStore(g, async (store) => {
    const stories = await store.listStories(opts.account ? { accountId: opts.account } : undefined);
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
