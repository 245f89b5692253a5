import type { GlobalOptions } from '../../cli/context.js';
import type { ReconcileReport } from '../../burst/reconcile.js';

/** Output shared by the burst commands. */

/** The manager's progress lines on stderr, unless --json (or the command wants none). */
export function stderrLog(g: GlobalOptions, quiet = false): ((line: string) => void) | undefined {
  return quiet || g.json ? undefined : (line: string) => process.stderr.write(`${line}\n`);
}

export function ago(iso: string, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`;
}

export function printOrphans(rep: ReconcileReport): void {
  for (const o of rep.orphans) {
    process.stderr.write(`warning: orphan ${o.instance.name} (${o.provider} ${o.instance.providerInstanceId}, ${o.instance.status}) is not tracked; \`luna burst down --all\` terminates it\n`);
  }
  for (const e of rep.errors) process.stderr.write(`warning: could not list ${e.provider}: ${e.error}\n`);
}
