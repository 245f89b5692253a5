import { type Command, InvalidArgumentError } from 'commander';
import { globalOptions, type GlobalOptions } from '../../cli/context.js';
import { printJson, progress } from '../../cli/output.js';
import { requireConfirmation } from '../../cli/prompt.js';
import { BurstError, UsageError } from '../../errors.js';
import type { BurstInstance } from '../../store/types.js';
import { stderrLog } from './view.js';

export function parsePositive(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number');
  return n;
}

export interface UpOptions {
  provider?: string;
  gpu?: string;
  count: number;
  maxPrice?: number;
  yes: boolean;
  wait: boolean;
}

export function registerBurstUp(burst: Command): void {
  burst
    .command('up')
    .description('rent the cheapest offer that fits, after showing the plan and its hourly cost')
    .option('--provider <name>', 'runpod, vast or lambda (default: burst.provider, else every provider with a key)')
    .option('--gpu <type>', 'GPU type, e.g. RTX_4090, a100, gpu_1x_a10 (default: burst.gpuType)')
    .option('--count <n>', 'instances to rent', (v) => Math.trunc(parsePositive(v)), 1)
    .option('--max-price <usd>', 'highest price per instance-hour, USD', parsePositive)
    .option('-y, --yes', 'do not ask for confirmation (required when not on a terminal)', false)
    .option('--no-wait', 'return once launched instead of waiting for /health')
    .action(async (opts: UpOptions, cmd: Command) => runUp(globalOptions(cmd), opts));
}

export async function runUp(g: GlobalOptions, o: UpOptions): Promise<void> {
  if (!Number.isInteger(o.count) || o.count < 1) throw new UsageError('--count must be a whole number ≥ 1');
  const { parseProvider, publicView, withBurst } = await import('../../burst/open.js');
  const { describeOffer, planRequest, searchOffers } = await import('../../burst/plan.js');
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
    const hourly = await manager.assertBudgetFor(o.count, offer.pricePerHour);
    const total = offer.pricePerHour * o.count;
    const plan = `Plan: ${o.count} × ${describeOffer(offer)} serving ${cfg.model ?? '(burst.model unset)'} = $${total.toFixed(3)}/h (burst total $${hourly.toFixed(3)}/h)`;
    if (!g.json) process.stderr.write(`${plan}\n`);
    await requireConfirmation({ yes: o.yes, question: 'Rent now?', refusing: 'rent GPUs', declined: 'nothing rented' });
    const launched: BurstInstance[] = [];
    for (let k = 0; k < o.count; k++) launched.push(await manager.launchBest(search.offers));
    if (o.wait) {
      const spin = await progress(`waiting for ${launched.length} instance(s) to answer /health`, { json: g.json });
      const seen: { gone: BurstInstance | null } = { gone: null };
      const outcome = await manager.waitReady(launched.map((l) => l.id), {
        timeoutMs: cfg.readyTimeoutMs,
        onProgress: (ready, n, phases) => spin.update(`${ready}/${n} ready${phases.length ? `; ${phases.join('; ')}` : ''}`),
        onGone: (i) => (seen.gone = i),
      });
      const g2 = seen.gone;
      if (outcome === 'ready') spin.succeed(`${launched.length} instance(s) ready`);
      else if (outcome === 'gone') spin.fail(`${g2?.name ?? 'an instance'} went away while starting${g2?.lastError ? `: ${g2.lastError}` : ''}`);
      else spin.fail('not ready in time; `luna burst watch` will terminate it after burst.readyTimeoutMs');
    }
    const final = await Promise.all(launched.map(async (l) => (await manager.store.getBurstInstance(l.id)) ?? l));
    if (g.json) printJson({ plan: { offer, count: o.count, hourlyUsd: total }, instances: final.map(publicView) });
    else for (const i of final) process.stdout.write(`${i.id}  ${i.name}  ${i.provider}  ${i.gpuType}  $${i.pricePerHour.toFixed(3)}/h  ${i.state}${i.endpoint ? `  ${i.endpoint}` : ''}\n`);
  }, { provider, log: stderrLog(g) });
}
