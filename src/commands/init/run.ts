import { statSync } from 'node:fs';
import path from 'node:path';
import { type GlobalOptions, withStore } from '../../cli/context.js';
import { printJson } from '../../cli/output.js';
import { resolveHome } from '../../config/load.js';
import { type StarterChoice, writeStarterConfig } from '../../config/starter.js';
import { NotFoundError, UsageError } from '../../errors.js';

interface InitOpts {
  model?: string;
  threads: string;
  openaiUrl?: string;
  openaiModel?: string;
  anthropicModel?: string;
  force?: boolean;
}

export async function run(opts: InitOpts, g: GlobalOptions): Promise<void> {
  const choice = pickChoice(opts);
  const home = resolveHome({ home: g.home });
  // Config first, so a bad choice never leaves a database behind without its config.
  const { file, written } = writeStarterConfig(home, choice, { force: opts.force });
  const status = await withStore(g, async (store) => {
    await store.ensureAccount('local');
    return store.migrationStatus();
  });
  if (g.json) return printJson({ home, config: file, configWritten: written, schema: status.current });
  const lines = [
    written ? `wrote ${file} (mode 0600)` : `kept existing ${file} (use --force to replace it)`,
    `database ready at schema version ${status.current}`,
    '',
    'next:',
    choice.kind === 'demo' ? '  luna models pull demo            # the 1.2 MB demo model' : '  luna models list                 # check your model answers',
    '  luna doctor                      # check everything',
    '  luna play --new --title "The Lighthouse" --premise "A keeper finds a stranger on the rocks"',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

function pickChoice(opts: InitOpts): StarterChoice {
  const picked = [opts.model, opts.openaiUrl, opts.anthropicModel].filter(Boolean).length;
  if (picked > 1) throw new UsageError('choose one of --model, --openai-url, --anthropic-model');
  if (opts.model) {
    const threads = Number(opts.threads);
    if (!Number.isInteger(threads) || threads < 1) throw new UsageError(`--threads expects a whole number ≥ 1, found "${opts.threads}"`);
    if (!opts.model.endsWith('.gguf')) throw new UsageError(`--model expects a .gguf file, found "${opts.model}"`, { hint: 'download one with `luna models pull hf:OWNER/REPO/FILE.gguf`' });
    return { kind: 'gguf', path: checkModelFile(opts.model), threads };
  }
  if (opts.openaiUrl) {
    if (!opts.openaiModel) throw new UsageError('--openai-url needs --openai-model', { hint: 'e.g. --openai-model qwen2.5-7b-instruct' });
    try {
      new URL(opts.openaiUrl);
    } catch {
      throw new UsageError(`--openai-url is not a URL: "${opts.openaiUrl}"`, { hint: 'e.g. http://127.0.0.1:1234/v1 for LM Studio' });
    }
    return { kind: 'openai', baseUrl: opts.openaiUrl, model: opts.openaiModel };
  }
  if (opts.anthropicModel) return { kind: 'anthropic', model: opts.anthropicModel };
  return { kind: 'demo' };
}

/**
 * Refused, not warned about: a config naming a missing file fails every turn later with a less direct
 * error, and nothing has been written yet, so re-running init with the right path costs nothing.
 */
function checkModelFile(model: string): string {
  const file = path.resolve(model);
  let isFile: boolean;
  try {
    isFile = statSync(file).isFile();
  } catch {
    throw new NotFoundError(`--model: no such file ${file}`, { hint: 'check the path, or download one with `luna models pull hf:OWNER/REPO/FILE.gguf`; for the demo, run `luna init` without --model, then `luna models pull demo`' });
  }
  if (!isFile) throw new UsageError(`--model expects a .gguf file, found a folder: ${file}`, { hint: 'name the .gguf file inside it' });
  return file;
}
