import type { Command } from 'commander';
import { globalOptions, type GlobalOptions } from '../../cli/context.js';
import { printJson, progress } from '../../cli/output.js';
import { UsageError } from '../../errors.js';
import { printOrphans, stderrLog } from './view.js';

export function registerBurstDown(burst: Command): void {
  burst
    .command('down')
    .description('drain and terminate an instance, or all of them (plus orphans) with --all')
    .argument('[id]', 'instance id, name or provider id (see `luna burst status`)')
    .option('--all', 'every instance of this deployment, and LUNA-named orphans at the providers', false)
    .option('--no-drain', 'terminate at once instead of waiting for in-flight requests')
    .action(async (id: string | undefined, opts: { all: boolean; drain: boolean }, cmd: Command) => runDown(globalOptions(cmd), id, opts));
}

export async function runDown(g: GlobalOptions, id: string | undefined, o: { all: boolean; drain: boolean }): Promise<void> {
  if (!id && !o.all) throw new UsageError('say which instance to bring down', { hint: 'luna burst down <ID> or luna burst down --all' });
  if (id && o.all) throw new UsageError('give an instance ID or --all, not both');
  const { withBurst } = await import('../../burst/open.js');
  await withBurst(g, async ({ manager }) => {
    const spin = await progress('reconciling with providers', { json: g.json });
    const rep = await manager.reconcile();
    const targets = id ? [await manager.resolve(id)] : rep.instances.filter((i) => !['terminated', 'failed'].includes(i.state));
    const done: string[] = [];
    const orphansDone: string[] = [];
    try {
      for (const inst of targets) {
        spin.update(`${inst.state === 'ready' && o.drain ? 'draining and ' : ''}terminating ${inst.name}`);
        await manager.retire(inst, 'burst down', { drain: o.drain });
        done.push(inst.id);
      }
      if (o.all) {
        for (const orphan of rep.orphans) {
          spin.update(`terminating orphan ${orphan.instance.name}`);
          await manager.terminateOrphan(orphan.provider, orphan.instance);
          orphansDone.push(orphan.instance.name);
        }
      }
      spin.succeed(`${done.length} instance(s)${orphansDone.length ? ` and ${orphansDone.length} orphan(s)` : ''} terminated`);
    } catch (err) {
      spin.fail();
      throw err;
    }
    if (g.json) printJson({ terminated: done, orphansTerminated: orphansDone, errors: rep.errors });
    else {
      for (const d of done) process.stdout.write(`terminated ${d}\n`);
      for (const n of orphansDone) process.stdout.write(`terminated orphan ${n}\n`);
      if (!done.length && !orphansDone.length) process.stdout.write('nothing to bring down\n');
      if (!o.all) printOrphans({ ...rep, errors: [] });
      for (const e of rep.errors) process.stderr.write(`warning: could not list ${e.provider}: ${e.error}\n`);
    }
  }, { log: stderrLog(g) });
}
