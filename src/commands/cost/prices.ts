import { type GlobalOptions, loadCliConfig } from '../../cli/context.js';
import { printJson, printTable } from '../../cli/output.js';

export async function run(_opts: Record<string, never>, g: GlobalOptions): Promise<void> {
  const loaded = await loadCliConfig(g);
  const { listPrices } = await import('../../cost/prices.js');
  const prices = listPrices(loaded.config);
  if (g.json) return printJson(prices);
  const n = (v: number | null) => (v === null ? '' : `$${v}`);
  await printTable(
    ['model', 'provider', 'in /M', 'out /M', 'cached in /M', 'date', 'source'],
    prices.map((p) => [p.model, p.provider, n(p.inputPerMTok), n(p.outputPerMTok), n(p.cachedInputPerMTok), p.date ?? '', p.source ?? '']),
    { align: ['left', 'left', 'right', 'right', 'right', 'left', 'left'] },
  );
  process.stdout.write('USD per million tokens. A price change applies to new calls only: ledger rows keep the price they were charged at.\n');
}
