import path from 'node:path';
import type { Command } from 'commander';
import type { StepReport } from '../../burst/autoscaler.js';
import { globalOptions, type GlobalOptions } from '../../cli/context.js';
import { lastStepFile } from '../../burst/last-step.js';
import { UsageError } from '../../errors.js';
import { parsePositive } from './up.js';
import { stderrLog } from './view.js';

export function registerBurstWatch(burst: Command): void {
  burst
    .command('watch')
    .description('run the autoscaler in the foreground: launch on sustained queue depth, retire idle instances')
    .option('--once', 'one reconcile + decide + act step, then exit', false)
    .option('--interval <ms>', 'time between steps (default: burst.intervalMs)', parsePositive)
    .action(async (opts: { once: boolean; interval?: number }, cmd: Command) => runWatch(globalOptions(cmd), opts));
}

function line(r: StepReport): string {
  const live = r.instances.filter((i) => !['terminated', 'failed'].includes(i.state));
  const acts = r.decisions.map((d) => `${d.action}${d.action === 'terminate' ? ` ${d.id}` : d.action === 'launch' ? ` ×${d.count}` : ''}: ${d.reason}`);
  return `${r.at} waiting=${r.waiting ?? '?'} instances=${live.length} ready=${live.filter((i) => i.state === 'ready').length}${acts.length ? ` | ${acts.join(' | ')}` : ''}${r.errors.length ? ` | errors: ${r.errors.join('; ')}` : ''}${r.orphans.length ? ` | orphans: ${r.orphans.map((o) => o.instance.name).join(', ')}` : ''}`;
}

/** The autoscaler in the foreground: reconcile, read load, decide, act; Ctrl-C stops it (instances stay up). */
export async function runWatch(g: GlobalOptions, o: { once: boolean; interval?: number }): Promise<void> {
  if (o.interval !== undefined && (!Number.isFinite(o.interval) || o.interval < 100)) throw new UsageError('--interval is in milliseconds and must be ≥ 100');
  const { publicView, withBurst } = await import('../../burst/open.js');
  const { Autoscaler } = await import('../../burst/autoscaler.js');
  const { planRequest } = await import('../../burst/plan.js');
  await withBurst(g, async ({ loaded, manager }) => {
    const cfg = loaded.config.burst;
    const scaler = new Autoscaler(manager, {
      request: planRequest(cfg),
      memoryFile: path.join(loaded.home, 'burst', `autoscaler-${cfg.deployment}.json`),
      // What `luna top` shows as the autoscaler's last decision.
      lastStepFile: lastStepFile(loaded.home, cfg.deployment),
    });
    const stop = new AbortController();
    const onSig = () => stop.abort();
    process.once('SIGINT', onSig);
    process.once('SIGTERM', onSig);
    try {
      do {
        const r = await scaler.step();
        if (g.json) process.stdout.write(`${JSON.stringify({ ...r, instances: r.instances.map(publicView) })}\n`);
        else process.stdout.write(`${line(r)}\n`);
        if (o.once) break;
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, o.interval ?? cfg.intervalMs);
          stop.signal.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
        });
      } while (!stop.signal.aborted);
    } finally {
      process.off('SIGINT', onSig);
      process.off('SIGTERM', onSig);
    }
  }, { log: stderrLog(g) });
}
