import type { Command } from 'commander';
import { globalOptions, loadCliConfig, type GlobalOptions } from '../../cli/context.js';
import { printJson, printTable } from '../../cli/output.js';

export function registerPlan(serve: Command): void {
  serve
    .command('plan')
    .description('show where each shard would run (GPUs, memory, pinning) without starting anything')
    .action(async (_opts: unknown, cmd: Command) => runPlan(globalOptions(cmd)));
}

export async function runPlan(g: GlobalOptions): Promise<void> {
  const { config, home } = await loadCliConfig(g);
  const { planFromConfig } = await import('../../serve/supervisor.js');
  const { assertCanStart, binaryProblems, modelFileProblems, portProblems } = await import('../../serve/preflight.js');
  const { portsUpMayTake } = await import('../../serve/daemon.js');
  const { servePaths } = await import('../../serve/state.js');
  const { formatPlan } = await import('../../serve/placement.js');
  const { plan, gpus, gpuProblem } = await planFromConfig(config.serve);
  // the checks `up` makes before launching, so a plan that "fits" also starts
  const problems = [...binaryProblems(config.serve), ...modelFileProblems(config.serve), ...(await portProblems(config.serve, portsUpMayTake(servePaths(home))))];
  const fits = plan.problems.length === 0 && problems.length === 0;
  if (g.json) printJson({ fits, gpuProblem, discovered: gpus, ...plan, problems: [...plan.problems, ...problems.map((p) => p.text)] });
  else if (plan.shards.length === 0) {
    process.stdout.write(`no shards configured${gpuProblem ? ` (and no GPUs: ${gpuProblem})` : ''}; add serve.shards to luna.yaml — see docs/serve.md\n`);
  } else {
    if (gpuProblem) process.stdout.write(`no GPUs: ${gpuProblem}\n`);
    await printTable(['shard', 'engine', 'GPUs', 'MiB/GPU', 'TP', 'CUDA_VISIBLE_DEVICES'],
      plan.shards.map((s) => [s.shard, s.engine, s.gpuIndices.join(',') || 'CPU', s.memoryMiB || '-', s.tensorParallel, s.env.CUDA_VISIBLE_DEVICES || '(none)']), { align: ['left', 'left', 'left', 'right', 'right', 'left'] });
    if (fits) process.stdout.write(`${formatPlan(plan)}\n`);
  }
  assertCanStart(plan, problems);
}
