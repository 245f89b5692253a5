import type { GlobalOptions } from '../../cli/context.js';
import { printJson, printTable } from '../../cli/output.js';
import { scrapeWaiting } from '../metrics.js';
import { checkBudget } from '../policy.js';
import { describeOffer, planRequest, searchOffers } from '../plan.js';
import { parseProvider, withBurst } from './context.js';

export async function runPlan(g: GlobalOptions, o: { provider?: string; gpu?: string; maxPrice?: number }): Promise<void> {
  const provider = parseProvider(o.provider);
  await withBurst(g, async ({ loaded, manager, rentFrom }) => {
    const cfg = loaded.config.burst;
    const req = planRequest(cfg, { gpu: o.gpu, maxPrice: o.maxPrice });
    const search = await searchOffers(rentFrom(), req);
    const best = search.offers[0] ?? null;
    const active = (await manager.instances()).filter((i) => i.state !== 'terminating');
    const hourly = active.reduce((s, i) => s + i.pricePerHour, 0);
    const spent = await manager.monthSpent();
    const budget = best ? checkBudget(cfg, hourly, spent, best.pricePerHour) : null;
    const load = await scrapeWaiting(cfg.metricsUrl);
    const why: string[] = [];
    if (best) {
      why.push(`cheapest of ${search.offers.length} offer(s) fitting GPU ${req.gpuType ?? 'any'}, ${req.gpuCount} GPU(s)${req.maxPricePerHour ? `, ≤ $${req.maxPricePerHour}/h` : ''}`);
      why.push(budget?.ok ? `within budget: ${budget.reason}` : `but refused: it ${budget?.reason}`);
    } else why.push('no offer fits the request');
    for (const f of search.failures) why.push(`${f.provider} not asked: ${f.error}`);
    why.push(load.waiting === null ? `load unknown (${load.error})` : `${load.waiting} request(s) waiting on local shards; scale-up above ${cfg.scaleUpQueueDepth} for ${Math.round(cfg.scaleUpWindowMs / 1000)}s`);
    if (g.json) {
      printJson({ choice: best, wouldLaunch: Boolean(best && budget?.ok), reasons: why, offers: search.offers.slice(0, 10), activeHourlyUsd: hourly, monthSpentUsd: spent, waiting: load.waiting });
      return;
    }
    if (search.offers.length) {
      await printTable(['PROVIDER', 'GPU', 'COUNT', 'REGION', '$/H'], search.offers.slice(0, 10).map((x) => [x.provider, x.gpuType, x.gpuCount, x.region ?? '', x.pricePerHour.toFixed(3)]), { align: ['left', 'left', 'right', 'left', 'right'] });
    }
    process.stdout.write(best ? `Would rent: ${describeOffer(best)}\n` : 'Would rent: nothing\n');
    for (const w of why) process.stdout.write(`  - ${w}\n`);
  }, { provider, quiet: true });
}
