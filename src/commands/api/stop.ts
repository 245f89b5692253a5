import { type GlobalOptions, loadCliConfig } from '../../cli/context.js';
import { printJson } from '../../cli/output.js';
import { LunaError, UsageError } from '../../errors.js';
import { listApiProcesses, stopApiProcess } from '../../api/processes.js';
import { plural } from '../../util/plural.js';

export async function run(pidArg: string | undefined, opts: { wait: string }, g: GlobalOptions): Promise<void> {
  const waitMs = Number(opts.wait);
  if (!Number.isInteger(waitMs) || waitMs < 0) throw new UsageError(`--wait: expected milliseconds ≥ 0, found "${opts.wait}"`);
  if (pidArg !== undefined && !/^\d+$/.test(pidArg.trim())) throw new UsageError(`expected a process id, found "${pidArg}"`, { hint: 'luna api status lists them' });
  const { home } = await loadCliConfig(g);
  const pids = pidArg !== undefined ? [Number(pidArg)] : listApiProcesses(home).map((p) => p.pid);
  const results: { pid: number; stopped: boolean }[] = [];
  for (const pid of pids) results.push({ pid, ...(await stopApiProcess(home, pid, waitMs)) });
  if (g.json) printJson({ results });
  else if (!results.length) process.stdout.write('no luna api process is running from this home\n');
  else for (const r of results) process.stdout.write(r.stopped ? `stopped luna api ${r.pid}\n` : `luna api ${r.pid} is still finishing its turns\n`);
  const left = results.filter((r) => !r.stopped);
  if (left.length) throw new LunaError(`${plural(left.length, 'process')} did not stop within ${waitMs} ms`, 1, { hint: `wait, or raise --wait; kill -9 ${left.map((r) => r.pid).join(' ')} loses their running turns (nothing half-written)` });
}
