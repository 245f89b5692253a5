import type { Command } from 'commander';
import { globalOptions, loadCliConfig } from '../../cli/context.js';

export function registerModelsList(models: Command): void {
  models
    .command('list')
    .alias('ls')
    .description('configured models: provider, model, which agents use them, and whether they answer')
    .option('--no-check', 'skip reachability checks (no network)')
    .option('--timeout <ms>', 'per-model ping timeout', '3000')
    .action(async (opts: { check: boolean; timeout: string }, cmd: Command) => {
      const g = globalOptions(cmd);
      const { config } = await loadCliConfig(g);
      const { listModels } = await import('../../models/listing.js');
      const { printJson, printTable, formatDuration } = await import('../../cli/output.js');
      const rows = await listModels(config, { check: opts.check, timeoutMs: Number(opts.timeout) || 3000 });
      if (g.json) return printJson(rows);
      await printTable(
        ['name', 'provider', 'model / path', 'used by', 'status', 'latency'],
        rows.map((r) => [r.name, r.provider, r.model, r.usedBy.join(', ') || '-', r.detail ? `${r.status}: ${r.detail}` : r.status, r.latencyMs === null ? '' : formatDuration(r.latencyMs)]),
        // cli-table3 crashes when colAligns is undefined, so always pass one per column.
        { align: ['left', 'left', 'left', 'left', 'left', 'right'] },
      );
    });
}
