import { type GlobalOptions, withStore } from '../../cli/context.js';
import { printJson, printTable } from '../../cli/output.js';

export async function run(g: GlobalOptions): Promise<void> {
  await withStore(g, async (store) => {
    const [accounts, keys, stories] = await Promise.all([store.listAccounts(), store.listApiKeys(), store.listStories()]);
    const rows = accounts.map((a) => ({
      ...a,
      stories: stories.filter((s) => s.accountId === a.id).length,
      activeKeys: keys.filter((k) => k.accountId === a.id && k.revokedAt === null).length,
    }));
    if (g.json) return printJson(rows);
    await printTable(
      ['id', 'name', 'tier', 'stories', 'keys', 'created'],
      rows.map((a) => [a.id, a.name, a.tier, a.stories, a.activeKeys, a.createdAt.replace('T', ' ').slice(0, 16)]),
      { align: ['left', 'left', 'left', 'right', 'right', 'left'] },
    );
  });
}
