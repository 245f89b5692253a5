import { type GlobalOptions, withStore } from '../../cli/context.js';
import { printJson, printTable } from '../../cli/output.js';

export async function run(opts: { account?: string }, g: GlobalOptions): Promise<void> {
  const [{ budgetStatus }, { usd }] = await Promise.all([import('../../cost/guard.js'), import('../../cost/format.js')]);
  await withStore(g, async (store, loaded) => {
    const accounts = opts.account ? [opts.account] : (await store.listAccounts()).map((a) => a.id);
    const statuses = await Promise.all(accounts.map(async (id) => ({ accountId: id, ...(await budgetStatus(store, loaded.config, id)) })));
    // The global budget shows up under every account; list it once.
    const seen = new Set<string>();
    const items = statuses.flatMap((s) => s.items).filter((i) => {
      const key = `${i.name}\u0000${i.accountId ?? ''}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
    if (g.json) return printJson({ accounts: statuses, items });
    if (!items.length) {
      process.stdout.write('no budgets or quotas apply (set cost.budgets or cost.tiers in luna.yaml; the local account has no tier quota)\n');
      return;
    }
    const amount = (kind: string, v: number | null) => (v === null ? '—' : kind === 'quota' ? `${v} turns` : usd(v));
    await printTable(
      ['budget', 'period', 'since', 'used', 'soft', 'hard', 'level'],
      items.map((i) => [i.name, i.period, i.since.slice(0, 10), amount(i.kind, i.used), amount(i.kind, i.soft), amount(i.kind, i.hard), i.level]),
      { align: ['left', 'left', 'left', 'right', 'right', 'right', 'left'] },
    );
  });
}
