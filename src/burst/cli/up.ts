import type { GlobalOptions } from '../../cli/context.js';
import { printJson, progress } from '../../cli/output.js';
import { BudgetError, BurstError, CancelledError, UsageError } from '../../errors.js';
import { checkBudget } from '../policy.js';
import { describeOffer, planRequest, searchOffers } from '../plan.js';
import type { BurstInstance } from '../../store/types.js';
import { parseProvider, withBurst } from './context.js';

export interface UpOptions {
  provider?: string;
  gpu?: string;
  count: number;
  maxPrice?: number;
  yes: boolean;
  wait: boolean;
}

async function confirm(question: string): Promise<boolean> {
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

export async function runUp(g: GlobalOptions, o: UpOptions): Promise<void> {
  if (!Number.isInteger(o.count) || o.count < 1) throw new UsageError('--count must be a whole number ≥ 1');
  const provider = parseProvider(o.provider);
  await withBurst(g, async ({ loaded, manager, rentFrom }) => {
    const cfg = loaded.config.burst;
    const req = planRequest(cfg, { gpu: o.gpu, maxPrice: o.maxPrice });
    const search = await searchOffers(rentFrom(), req);
    const offer = search.offers[0];
    if (!offer) {
      const why = search.failures.map((f) => `${f.provider}: ${f.error}`).join('; ');
      throw new BurstError(`no offer fits${req.gpuType ? ` GPU ${req.gpuType}` : ''}${req.maxPricePerHour ? ` under $${req.maxPricePerHour}/h` : ''}${why ? ` (${why})` : ''}`, { hint: 'see `luna burst plan`; try another --gpu or a higher --max-price' });
    }
    // Check the whole request against the caps before asking anyone to confirm it.
    const active = (await manager.instances()).filter((i) => i.state !== 'terminating');
    let hourly = active.reduce((s, i) => s + i.pricePerHour, 0);
    let spent = await manager.monthSpent();
    for (let k = 0; k < o.count; k++) {
      const b = checkBudget(cfg, hourly, spent, offer.pricePerHour);
      if (!b.ok) throw new BudgetError(`burst up refused: instance ${k + 1} of ${o.count} ${b.reason}`, { hint: b.kind === 'hourly' ? 'raise burst.maxHourlySpend or lower --count' : 'raise burst.monthlyBudgetUsd' });
      hourly += offer.pricePerHour;
      spent += offer.pricePerHour;
    }
    const total = offer.pricePerHour * o.count;
    const plan = `Plan: ${o.count} × ${describeOffer(offer)} serving ${cfg.model ?? '(burst.model unset)'} = $${total.toFixed(3)}/h (burst total $${hourly.toFixed(3)}/h)`;
    if (!g.json) process.stderr.write(`${plan}\n`);
    if (!o.yes) {
      if (!process.stdin.isTTY) throw new UsageError('refusing to rent GPUs without confirmation', { hint: 'pass --yes to confirm non-interactively' });
      if (!(await confirm('Rent now? [y/N] '))) throw new CancelledError('nothing rented');
    }
    const launched: BurstInstance[] = [];
    for (let k = 0; k < o.count; k++) launched.push(await manager.launchBest(search.offers));
    if (o.wait) {
      const spin = await progress(`waiting for ${launched.length} instance(s) to answer /health`, { json: g.json });
      const deadline = Date.now() + cfg.readyTimeoutMs;
      for (;;) {
        const rep = await manager.reconcile();
        const mine = rep.instances.filter((i) => launched.some((l) => l.id === i.id));
        const ready = mine.filter((i) => i.state === 'ready').length;
        spin.update(`${ready}/${launched.length} ready`);
        if (ready === launched.length) { spin.succeed(`${ready} instance(s) ready`); break; }
        if (mine.some((i) => i.state === 'terminated' || i.state === 'failed')) { spin.fail('an instance went away while starting'); break; }
        if (Date.now() > deadline) { spin.fail('not ready in time; `luna burst watch` will terminate it after burst.readyTimeoutMs'); break; }
        await new Promise((r) => setTimeout(r, 2000));
      }
    }
    const final = await Promise.all(launched.map(async (l) => (await manager.store.getBurstInstance(l.id)) ?? l));
    if (g.json) printJson({ plan: { offer, count: o.count, hourlyUsd: total }, instances: final.map(publicView) });
    else for (const i of final) process.stdout.write(`${i.id}  ${i.name}  ${i.provider}  ${i.gpuType}  $${i.pricePerHour.toFixed(3)}/h  ${i.state}${i.endpoint ? `  ${i.endpoint}` : ''}\n`);
  }, { provider });
}

/** What commands may print about an instance: never its API key. */
export function publicView(i: BurstInstance): Omit<BurstInstance, 'apiKey'> {
  const { apiKey: _key, ...rest } = i;
  return rest;
}
