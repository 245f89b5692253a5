import type { Command } from 'commander';
import { globalOptions, loadCliConfig, type GlobalOptions } from '../../cli/context.js';
import { printJson } from '../../cli/output.js';
import { renderStatus } from './view.js';

export function registerStatus(serve: Command): void {
  serve
    .command('status')
    .description('shards, state, uptime, restarts, queue, KV-cache, tokens/s and GPU use')
    .action(async (_opts: unknown, cmd: Command) => runStatus(globalOptions(cmd)));
}

export async function runStatus(g: GlobalOptions): Promise<void> {
  const { home } = await loadCliConfig(g);
  const { ControlClient } = await import('../../serve/control-client.js');
  const { describeLeftovers, findLeftovers } = await import('../../serve/leftovers.js');
  const { readState } = await import('../../serve/state.js');
  const client = new ControlClient(home);
  const state = await client.state();
  if (!state) {
    const left = findLeftovers(client.paths);
    if (g.json) printJson({ running: false, leftovers: left.map(({ name, pid, port }) => ({ name, pid, port })), last: readState(client.paths) });
    else if (left.length === 0) process.stdout.write('luna serve is not running (start it with `luna serve up --detach`)\n');
    else {
      const n = left.length === 1 ? '1 engine left behind by a previous supervisor is' : `${left.length} engines left behind by a previous supervisor are`;
      process.stdout.write(`luna serve is not running; ${n} still running: ${describeLeftovers(left)} — stop ${left.length === 1 ? 'it' : 'them'} with \`luna serve stop\`\n`);
    }
    return;
  }
  if (g.json) printJson({ running: true, ...state });
  else process.stdout.write(`${await renderStatus(state)}\n`);
}
