import { type Command, Option } from 'commander';
import { globalOptions, loadCliConfig, type GlobalOptions } from '../../cli/context.js';
import { printJson, progress } from '../../cli/output.js';
import { renderStatus } from './view.js';

export interface UpOptions {
  detach: boolean;
  wait: boolean;
  daemonChild: boolean;
}

export function registerUp(serve: Command): void {
  serve
    .command('up')
    .description('start every configured shard and supervise it (foreground, or --detach as a daemon)')
    .option('-d, --detach', 'run as a background daemon (state and logs under <home>/serve/)', false)
    .option('--no-wait', 'with --detach: return once the daemon is up, without waiting for shards to be ready')
    .addOption(new Option('--daemon-child', 'internal: this process is the detached daemon').hideHelp().default(false))
    .action(async (opts: UpOptions, cmd: Command) => runUp(globalOptions(cmd), opts));
}

export async function runUp(g: GlobalOptions, opts: UpOptions): Promise<void> {
  const loaded = await loadCliConfig(g);
  const { assertNotRunning } = await import('../../serve/daemon.js');
  const { assertUniqueShardNames } = await import('../../serve/preflight.js');
  assertNotRunning(loaded.home);
  // a config error is exit 3 here, not "the daemon exited" (11) after detaching
  assertUniqueShardNames(loaded.config.serve.shards);
  if (opts.detach) return detach(g, loaded.home, loaded.config.serve.readyTimeoutMs, opts.wait);

  const { Supervisor } = await import('../../serve/supervisor.js');
  const live = !opts.daemonChild && !g.json && Boolean(process.stdout.isTTY);
  const sup = new Supervisor({
    serve: loaded.config.serve,
    home: loaded.home,
    detached: opts.daemonChild,
    onEvent: (shard, event, detail, s) => {
      if (live) return;
      const st = s.runner(shard).status;
      const line = event === 'restart' ? `${shard}: restarting (${detail})` : `${shard}: ${st.state}${detail ? ` — ${detail}` : ''}`;
      process.stderr.write(`${new Date().toISOString()} ${line}\n`);
    },
    onNotice: (text) => process.stderr.write(`${new Date().toISOString()} ${text}\n`),
  });
  await sup.start();
  const onSignal = () => void sup.stop();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // a detached daemon has no terminal to lose; a closed ssh session must not stop the engines
  if (opts.daemonChild) process.on('SIGHUP', () => undefined);
  let view: NodeJS.Timeout | null = null;
  if (live) {
    const draw = async () => process.stdout.write(`\x1b[H\x1b[2J${await renderStatus(sup.state())}\nCtrl-C stops every shard.\n`);
    await draw();
    view = setInterval(() => void draw(), 1000);
  } else if (!opts.daemonChild) {
    process.stderr.write(`luna serve: pid ${process.pid}, metrics http://127.0.0.1:${sup.port}/metrics\n`);
  }
  try {
    await sup.wait();
  } finally {
    if (view) clearInterval(view);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  if (g.json && !opts.daemonChild) printJson(sup.state());
}

/** Starts the daemon and shows its progress; the daemon keeps running even when a shard failed. */
async function detach(g: GlobalOptions, home: string, readyTimeoutMs: number, wait: boolean): Promise<void> {
  const { failedShardsError, startDaemon } = await import('../../serve/daemon.js');
  const spin = await progress('starting luna serve…', { json: g.json });
  let started;
  try {
    started = await startDaemon({ home, configFile: g.config, databaseUrl: g.databaseUrl, readyTimeoutMs, wait, onProgress: (t) => spin.update(t) });
  } catch (err) {
    spin.fail();
    throw err;
  }
  const { pid, state } = started;
  spin.stop();
  if (g.json) printJson(state);
  else process.stdout.write(`luna serve started (pid ${pid})\n${await renderStatus(state)}\n`);
  const bad = failedShardsError(state);
  if (bad) throw bad;
}
