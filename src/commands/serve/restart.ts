import type { Command } from 'commander';
import { globalOptions, loadCliConfig, type GlobalOptions } from '../../cli/context.js';
import { printJson, progress } from '../../cli/output.js';

export function registerRestart(serve: Command): void {
  serve
    .command('restart')
    .description('restart one shard (also revives a failed or stopped one) and wait until it is ready')
    .argument('<shard>', 'shard name')
    .action(async (shard: string, _opts: unknown, cmd: Command) => runRestart(globalOptions(cmd), shard));
}

export async function runRestart(g: GlobalOptions, shard: string): Promise<void> {
  const { home, config } = await loadCliConfig(g);
  const { ControlClient } = await import('../../serve/control-client.js');
  const { assertLiveShard, waitReady } = await import('../../serve/daemon.js');
  const { ServeError } = await import('../../serve/errors.js');
  const client = new ControlClient(home);
  await assertLiveShard(client, config.serve, shard);
  const spin = await progress(`restarting ${shard}…`, { json: g.json });
  await client.post(`/shards/${encodeURIComponent(shard)}/restart`, config.serve.stopGraceMs * 2 + 30_000);
  const mine = await waitReady(client, shard, config.serve.readyTimeoutMs);
  if (g.json) printJson(mine ?? null);
  if (mine?.state !== 'ready') {
    spin.fail();
    throw new ServeError(`${shard} did not become ready: ${mine?.state ?? 'unknown'}${mine?.lastError ? ` (${mine.lastError})` : ''}`, { hint: `see \`luna serve logs ${shard}\`` });
  }
  spin.succeed(`${shard} ready on port ${mine.port}`);
  if (!g.json && !process.stderr.isTTY) process.stdout.write(`${shard} ready (pid ${mine.pid}, port ${mine.port}, restarts ${mine.restarts})\n`);
}
