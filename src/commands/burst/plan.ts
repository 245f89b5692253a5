import type { Command } from 'commander';
import { globalOptions, type GlobalOptions } from '../../cli/context.js';
import { printJson, printTable } from '../../cli/output.js';
import { parsePositive } from './up.js';

export function registerBurstPlan(burst: Command): void {
  burst
    .command('plan')
    .description('what `burst up` would rent now, and why (offers, budget, current load)')
    .option('--provider <name>', 'runpod, vast or lambda')
    .option('--gpu <type>', 'GPU type (default: burst.gpuType)')
    .option('--max-price <usd>', 'highest price per instance-hour, USD', parsePositive)
    .action(async (opts: { provider?: string; gpu?: string; maxPrice?: number }, cmd: Command) => runPlan(globalOptions(cmd), opts));
}

export async function runPlan(g: GlobalOptions, o: { provider?: string; gpu?: string; maxPrice?: number }): Promise<void> {
  const { parseProvider, withBurst } = await import('../../burst/open.js');
  const { scrapeWaiting } = await import('../../burst/metrics.js');
  const { checkBudget } = await import('../../burst/policy.js');
  const { describeOffer, planRequest, searchOffers } = await import('../../burst/plan.js');
  const provider = parseProvider(o.provider);
  await withBurst(g, async ({ loaded, manager, rentFrom }) => {
    const cfg = loaded.config.burst;
    const req = planRequest(cfg, { gpu: o.gpu, maxPrice: o.maxPrice });
    const providers = rentFrom();
    const search = await searchOffers(providers, req);
    const access = Object.fromEntries(providers.map((p) => [p.name, p.access()]));
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
    for (const [name, a] of Object.entries(access)) if (a.ok) why.push(`${name} instances are reached by ${a.how}`);
    why.push(load.waiting === null ? `load unknown (${load.error})` : `${load.waiting} request(s) waiting on local shards; scale-up above ${cfg.scaleUpQueueDepth} for ${Math.round(cfg.scaleUpWindowMs / 1000)}s`);
    if (g.json) {
      printJson({ choice: best, wouldLaunch: Boolean(best && budget?.ok), reasons: why, access, offers: search.offers.slice(0, 10), activeHourlyUsd: hourly, monthSpentUsd: spent, waiting: load.waiting });
      return;
    }
    if (search.offers.length) {
      await printTable(['PROVIDER', 'GPU', 'COUNT', 'REGION', '$/H'], search.offers.slice(0, 10).map((x) => [x.provider, x.gpuType, x.gpuCount, x.region ?? '', x.pricePerHour.toFixed(3)]), { align: ['left', 'left', 'right', 'left', 'right'] });
    }
    process.stdout.write(best ? `Would rent: ${describeOffer(best)}\n` : 'Would rent: nothing\n');
    for (const w of why) process.stdout.write(`  - ${w}\n`);
  }, { provider });
}
