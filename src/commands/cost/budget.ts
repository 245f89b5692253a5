import { type GlobalOptions, withStore } from '../../cli/context.js';
import { printJson, printTable } from '../../cli/output.js';
import { findAccount } from '../../story/find.js';
import { plural } from '../../util/plural.js';

export async function run(opts: { account?: string }, g: GlobalOptions): Promise<void> {
  const [{ budgetStatus }, { usd }] = await Promise.all([import('../../cost/guard.js'), import('../../cost/format.js')]);
  await withStore(g, async (store, loaded) => {
    if (opts.account !== undefined) await findAccount(store, opts.account);
    const known = await store.listAccounts();
    const accounts = opts.account !== undefined ? [opts.account] : known.map((a) => a.id);
    const statuses = await Promise.all(accounts.map(async (id) => ({ accountId: id, ...(await budgetStatus(store, loaded.config, id)) })));
    // A budget under an id no account has can never apply: most likely a typo.
    const orphans = Object.keys(loaded.config.cost.budgets.accounts).filter((id) => !known.some((a) => a.id === id))
      .map((id) => `cost.budgets.accounts.${id}: no account "${id}", so this budget applies to nothing (luna account list)`);
    // The global budget shows up under every account; list it once.
    const seen = new Set<string>();
    const items = statuses.flatMap((s) => s.items).filter((i) => {
      const key = `${i.name}\u0000${i.accountId ?? ''}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
    const notes = [...new Set([...statuses.flatMap((s) => s.notes.map((n) => n.text)), ...orphans])];
    if (g.json) return printJson({ accounts: statuses, items, notes });
    if (items.length) {
      const amount = (kind: string, v: number | null) => (v === null ? '—' : kind === 'quota' ? plural(v, 'turn') : usd(v));
      await printTable(
        ['budget', 'account', 'period', 'since', 'used', 'soft', 'hard', 'level'],
        items.map((i) => [i.name, i.accountId ?? 'all', i.period, i.since.slice(0, 10), amount(i.kind, i.used), amount(i.kind, i.soft), amount(i.kind, i.hard), i.level]),
        { align: ['left', 'left', 'left', 'left', 'right', 'right', 'right', 'left'] },
      );
    } else {
      process.stdout.write('no budgets or quotas apply (set cost.budgets or cost.tiers in luna.yaml; the local account has no tier quota)\n');
    }
    for (const n of notes) process.stdout.write(`! ${n}\n`);
  });
}
