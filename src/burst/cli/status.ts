import type { GlobalOptions } from '../../cli/context.js';
import { printJson, printTable } from '../../cli/output.js';
import type { BurstInstance, Store } from '../../store/types.js';
import { unbilledUsd } from '../billing.js';
import type { ReconcileReport } from '../reconcile.js';
import { ago, withBurst } from './context.js';
import { publicView } from './up.js';

export async function spendByInstance(store: Store, instances: BurstInstance[], now = Date.now()): Promise<Map<string, number>> {
  const rows = await store.listCalls({ agent: 'burst', limit: 1_000_000 });
  const out = new Map<string, number>();
  for (const r of rows) if (r.instanceId) out.set(r.instanceId, (out.get(r.instanceId) ?? 0) + (r.costUsd ?? 0));
  for (const i of instances) out.set(i.id, (out.get(i.id) ?? 0) + unbilledUsd(i, now));
  return out;
}

export function printOrphans(rep: ReconcileReport): void {
  for (const o of rep.orphans) {
    process.stderr.write(`warning: orphan ${o.instance.name} (${o.provider} ${o.instance.providerInstanceId}, ${o.instance.status}) is not tracked; \`luna burst down --all\` terminates it\n`);
  }
  for (const e of rep.errors) process.stderr.write(`warning: could not list ${e.provider}: ${e.error}\n`);
}

export async function runStatus(g: GlobalOptions, o: { all: boolean }): Promise<void> {
  await withBurst(g, async ({ store, manager }) => {
    const rep = await manager.reconcile();
    const list = rep.instances.filter((i) => o.all || !['terminated', 'failed'].includes(i.state));
    const spend = await spendByInstance(store, list);
    const now = Date.now();
    if (g.json) {
      printJson({
        deployment: manager.deployment,
        instances: list.map((i) => ({ ...publicView(i), spentUsd: spend.get(i.id) ?? 0 })),
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
        list.map((i) => [i.id, i.name, i.provider, `${i.gpuType}${i.gpuCount > 1 ? ` ×${i.gpuCount}` : ''}`, i.pricePerHour.toFixed(3), ago(i.launchedAt, now), i.state, `$${(spend.get(i.id) ?? 0).toFixed(4)}`]),
        { align: ['left', 'left', 'left', 'left', 'right', 'right', 'left', 'right'] },
      );
    }
    process.stdout.write(`burst spend this month: $${(await manager.monthSpent()).toFixed(4)}\n`);
    printOrphans(rep);
  }, { quiet: true });
}
