import type { Command } from 'commander';
import { globalOptions, loadCliConfig, type GlobalOptions } from '../../cli/context.js';
import { printJson, progress } from '../../cli/output.js';
import type { ServeConfig } from '../../config/schema.js';
import type { Leftover } from '../../serve/leftovers.js';
import type { ServePaths } from '../../serve/state.js';

export function registerStop(serve: Command): void {
  serve
    .command('stop')
    .description('stop one shard (it stays stopped), or the whole daemon with every shard')
    .argument('[shard]', 'shard name; omit to stop everything')
    .action(async (shard: string | undefined, _opts: unknown, cmd: Command) => runStop(globalOptions(cmd), shard));
}

export async function runStop(g: GlobalOptions, shard: string | undefined): Promise<void> {
  const { home, config } = await loadCliConfig(g);
  const { ControlClient } = await import('../../serve/control-client.js');
  const { assertKnownShard, assertLiveShard, stopDaemon } = await import('../../serve/daemon.js');
  const { readState } = await import('../../serve/state.js');
  const client = new ControlClient(home);
  const pid = client.daemonPid();
  if (shard && pid) await assertLiveShard(client, config.serve, shard);
  else if (shard) assertKnownShard(client.paths, config.serve, shard);
  // stopping what is already stopped is success: scripts and service units call this blindly
  if (!pid) return stopLeftovers(g, client.paths, config.serve, shard);
  if (shard) {
    const r = (await client.post(`/shards/${encodeURIComponent(shard)}/stop`)) as { shard: unknown };
    if (g.json) printJson(r.shard);
    else process.stdout.write(`stopped ${shard}\n`);
    return;
  }
  const spin = await progress('stopping luna serve…', { json: g.json });
  try {
    await stopDaemon(client, pid, config.serve.stopGraceMs);
  } catch (err) {
    spin.fail();
    throw err;
  }
  spin.succeed('luna serve stopped');
  const last = readState(client.paths);
  if (g.json) printJson({ stopped: true, pid, shards: last?.shards.map((s) => ({ name: s.name, state: s.state })) ?? [] });
  else if (!process.stderr.isTTY) process.stdout.write(`luna serve stopped (pid ${pid})\n`);
}

async function stopLeftovers(g: GlobalOptions, paths: ServePaths, serve: ServeConfig, shard: string | undefined): Promise<void> {
  const { stopLeftoverEngines } = await import('../../serve/daemon.js');
  const { describeLeftovers } = await import('../../serve/leftovers.js');
  const { ServeError } = await import('../../serve/errors.js');
  const { stopped, stuck } = await stopLeftoverEngines(paths, serve, shard);
  const brief = ({ name, pid, port }: Leftover) => ({ name, pid, port });
  if (g.json) printJson({ stopped: stuck.length === 0, pid: null, leftovers: stopped.map(brief) });
  else if (stopped.length === 0 && stuck.length === 0) process.stdout.write('luna serve is not running\n');
  else if (stopped.length) {
    const what = stopped.length === 1 ? '1 engine' : `${stopped.length} engines`;
    process.stdout.write(`luna serve is not running; stopped ${what} a previous supervisor left running: ${describeLeftovers(stopped)}\n`);
  }
  if (stuck.length) {
    throw new ServeError(`could not stop ${describeLeftovers(stuck)}, left running by a previous supervisor`, { hint: `it may belong to another user: kill it as that user (kill -9 ${stuck.map((l) => l.pid).join(' ')})` });
  }
}
