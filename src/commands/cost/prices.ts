import { type GlobalOptions, loadCliConfig } from '../../cli/context.js';
import { printJson, printTable } from '../../cli/output.js';

export async function run(_opts: Record<string, never>, g: GlobalOptions): Promise<void> {
  const loaded = await loadCliConfig(g);
  const { listPrices } = await import('../../cost/prices.js');
  const prices = listPrices(loaded.config);
  if (g.json) return printJson(prices);
  const n = (v: number | null) => (v === null ? '' : `$${v}`);
  const long = (p: (typeof prices)[number]) => (p.longPrompt ? `> ${p.longPrompt.thresholdTokens / 1000}K: ${n(p.longPrompt.inputPerMTok)} / ${n(p.longPrompt.outputPerMTok)}` : '');
  await printTable(
    ['model', 'provider', 'in /M', 'out /M', 'cached in /M', 'long prompt', 'date', 'source'],
    prices.map((p) => [p.model, p.provider, n(p.inputPerMTok), n(p.outputPerMTok), n(p.cachedInputPerMTok), long(p), p.date ?? '', p.source ?? '']),
    { align: ['left', 'left', 'right', 'right', 'right', 'left', 'left', 'left'] },
  );
  process.stdout.write('USD per million tokens. A long prompt bills the whole call at the higher rates. A price change applies to new calls only: ledger rows keep the price they were charged at.\n');
}
