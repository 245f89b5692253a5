import type { Command } from 'commander';
import path from 'node:path';
import { globalOptions, loadCliConfig } from '../../cli/context.js';
import { UsageError } from '../../errors.js';

export function registerModelsPull(models: Command): void {
  models
    .command('pull <spec>')
    .description('download a GGUF into <home>/models: `demo`, `hf:OWNER/REPO/FILE.gguf`, or an http(s) URL (resumable, sha256-checked)')
    .option('--sha256 <hex>', 'expected sha256 of the file (verified before it is kept)')
    .option('--add <name>', 'also add it to <home>/luna.yaml as models.<name> (local provider)')
    .addHelpText('after', '\n$LUNA_MODELS_MIRROR (a base URL or file:// folder) is tried first, for offline machines.')
    .action(async (spec: string, opts: { sha256?: string; add?: string }, cmd: Command) => {
      const g = globalOptions(cmd);
      if (opts.sha256 && !/^[a-fA-F0-9]{64}$/.test(opts.sha256)) throw new UsageError('--sha256: expected 64 hex characters');
      const { config, home } = await loadCliConfig(g);
      const { resolvePullSource, pullModel } = await import('../../models/download.js');
      const { printJson, progress } = await import('../../cli/output.js');
      const source = resolvePullSource(spec, config, process.env, opts.sha256?.toLowerCase());
      const bar = await progress(`downloading ${source.fileName}`, { json: g.json });
      let last = 0;
      let result;
      try {
        result = await pullModel(source, path.join(home, 'models'), {
          onProgress: ({ bytes, total, bytesPerSec }) => {
            const now = Date.now();
            if (now - last < 100) return;
            last = now;
            const pct = total ? ` ${((bytes / total) * 100).toFixed(0)}%` : '';
            bar.update(`downloading ${source.fileName}${pct} ${(bytes / 1e6).toFixed(1)} MB at ${(bytesPerSec / 1e6).toFixed(1)} MB/s`);
          },
        });
      } catch (err) {
        bar.fail(`download of ${source.fileName} failed`);
        throw err;
      }
      bar.succeed(result.alreadyPresent ? `${source.fileName} already present` : `downloaded ${source.fileName}`);
      const { addLocalModelToUserConfig, localModelSnippet } = await import('../../models/user-config.js');
      const added = opts.add ? addLocalModelToUserConfig(home, opts.add, result.path) : null;
      if (g.json) {
        printJson({ ...result, addedTo: added, name: opts.add ?? (source.isDemo ? 'demo' : null) });
        return;
      }
      const out = (s: string) => process.stdout.write(`${s}\n`);
      out(`${result.alreadyPresent ? 'present' : 'saved'}: ${result.path} (${(result.bytes / 1e6).toFixed(2)} MB)`);
      out(`sha256: ${result.sha256}${result.verified ? ' (verified)' : ' (not verified: pass --sha256 to check it)'}`);
      if (added) out(`added models.${opts.add} to ${added}; point an agent at it, e.g. agents.writer.model: ${opts.add}`);
      else if (source.isDemo) out('ready: the built-in config already points every agent at this file.');
      else {
        out('\nto use it, add this to your luna.yaml (or re-run with --add NAME):');
        out(localModelSnippet(path.basename(result.path, '.gguf').replace(/[^A-Za-z0-9._-]/g, '-'), result.path).trimEnd());
      }
    });
}
