import { existsSync } from 'node:fs';
import path from 'node:path';
import { ensureDir } from '../util/ensure-dir.js';
import { writeUserFile } from '../util/safe-write.js';
import { userConfigPath } from './load.js';

/** What the user points LUNA at on first run (`luna init` flags or the `luna play` setup screen). */
export type StarterChoice =
  | { kind: 'demo' }
  | { kind: 'gguf'; path: string; threads?: number }
  | { kind: 'openai'; baseUrl: string; model: string; apiKeyEnv?: string }
  | { kind: 'anthropic'; model: string };

export function starterConfig(choice: StarterChoice): string {
  const head = [
    '# LUNA config. Layered over the built-in defaults (configs/defaults.yaml); every key is',
    '# documented in configs/luna.example.yaml. Keep API keys in the environment, not here.',
    '',
  ];
  const agents = (model: string, strategist = model) => [
    'agents:',
    `  preprocessor: { model: ${model} }`,
    `  strategist: { model: ${strategist} }`,
    `  writer: { model: ${model} }`,
    `  dreamer: { model: ${model} }`,
  ];
  switch (choice.kind) {
    case 'demo':
      return [...head, '# Every agent runs on the 1.2 MB TinyStories demo model (`luna models pull demo`).', '# Point `models:` at your own GGUF or endpoint for real stories.', '', 'context:', '  budgetTokens: 3000', ''].join('\n');
    case 'gguf':
      return [
        ...head,
        'models:',
        '  main:',
        '    provider: local',
        `    path: ${JSON.stringify(choice.path)}`,
        `    threads: ${choice.threads ?? 1}   # CPU threads; set explicitly (the default oversubscribes small machines)`,
        '    contextSize: 4096',
        '    chat: true          # use the model\'s chat template (false for base models)',
        '',
        ...agents('main'),
        '',
      ].join('\n');
    case 'openai':
      return [
        ...head,
        'models:',
        '  main:',
        '    provider: openai-compatible   # LM Studio, llama.cpp server, vLLM, Ollama, Gemini…',
        `    baseUrl: ${JSON.stringify(choice.baseUrl)}`,
        `    model: ${JSON.stringify(choice.model)}`,
        `    apiKeyEnv: ${choice.apiKeyEnv ?? 'OPENAI_API_KEY'}   # env var with the key (local servers ignore it)`,
        '',
        ...agents('main'),
        '',
      ].join('\n');
    case 'anthropic':
      return [
        ...head,
        '# The Strategist plans on Claude; the Writer, Preprocessor and Dreamer stay on the local demo model.',
        'models:',
        '  claude:',
        '    provider: anthropic',
        `    model: ${JSON.stringify(choice.model)}`,
        '    apiKeyEnv: ANTHROPIC_API_KEY',
        '',
        ...agents('demo', 'claude'),
        '',
      ].join('\n');
  }
}

/**
 * Writes `<home>/luna.yaml` with mode 0600 (it may end up holding endpoints and key names): atomically, or
 * through a symlink to the file it points at (a dotfiles checkout keeps its link).
 */
export function writeStarterConfig(home: string, choice: StarterChoice, opts: { force?: boolean } = {}): { file: string; written: boolean } {
  const file = userConfigPath(home);
  if (existsSync(file) && !opts.force) return { file, written: false };
  ensureDir(path.dirname(file), { what: 'data dir', mode: 0o700 });
  writeUserFile(file, starterConfig(choice), { what: 'config', mode: 0o600 });
  return { file, written: true };
}
