import type { Command } from 'commander';
import { globalOptions, type GlobalOptions } from '../../cli/context.js';
import { printJson, printTable } from '../../cli/output.js';
import { ago, printOrphans } from './view.js';

export function registerBurstStatus(burst: Command): void {
  burst
    .command('status')
    .description('instances with provider, GPU, price, age, state and spend; reconciles with the providers first')
    .option('--all', 'include terminated and failed instances', false)
    .action(async (opts: { all: boolean }, cmd: Command) => runStatus(globalOptions(cmd), opts));
}

export async function runStatus(g: GlobalOptions, o: { all: boolean }): Promise<void> {
  const { publicView, spendByInstance, withBurst } = await import('../../burst/open.js');
  await withBurst(g, async ({ store, manager }) => {
    const rep = await manager.reconcile();
    const list = rep.instances.filter((i) => o.all || !['terminated', 'failed'].includes(i.state));
    const spend = await spendByInstance(store, list);
    const now = Date.now();
    if (g.json) {
      printJson({
        deployment: manager.deployment,
        instances: list.map((i) => ({ ...publicView(i), phase: rep.phases[i.id] ?? null, spentUsd: spend.get(i.id) ?? 0 })),
        orphans: rep.orphans.map((x) => ({ provider: x.provider, ...x.instance })),
        errors: rep.errors,
        hourlyUsd: list.filter((i) => !['terminated', 'failed'].includes(i.state)).reduce((s, i) => s + i.pricePerHour, 0),
        monthSpentUsd: await manager.monthSpent(),
      });
      return;
    }
    if (!list.length) process.stdout.write(`no burst instances in deployment ${manager.deployment}\n`);
    else {
      await printTable(
        ['ID', 'NAME', 'PROVIDER', 'GPU', '$/H', 'AGE', 'STATE', 'SPENT'],
        list.map((i) => [i.id, i.name, i.provider, `${i.gpuType}${i.gpuCount > 1 ? ` ×${i.gpuCount}` : ''}`, i.pricePerHour.toFixed(3), ago(i.launchedAt, now), rep.phases[i.id] ? `${i.state}: ${rep.phases[i.id]}` : i.state, `$${(spend.get(i.id) ?? 0).toFixed(4)}`]),
        { align: ['left', 'left', 'left', 'left', 'right', 'right', 'left', 'right'] },
      );
    }
    process.stdout.write(`burst spend this month: $${(await manager.monthSpent()).toFixed(4)}\n`);
    printOrphans(rep);
  });
}
