import { type GlobalOptions, loadCliConfig } from '../../cli/context.js';
import { formatDuration, printJson, printTable } from '../../cli/output.js';
import { listApiProcesses } from '../../api/processes.js';

export async function run(g: GlobalOptions): Promise<void> {
  const { home } = await loadCliConfig(g);
  const procs = listApiProcesses(home);
  if (g.json) return printJson({ processes: procs });
  if (!procs.length) {
    process.stdout.write('no luna api process is running from this home\nstart one: luna api serve --detach\n');
    return;
  }
  const now = Date.now();
  await printTable(['pid', 'url', 'up', 'log'], procs.map((p) => [p.pid, p.url, formatDuration(now - Date.parse(p.startedAt)), p.log ?? '(foreground)']), { align: ['right', 'left', 'right', 'left'] });
}
