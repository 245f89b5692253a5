import type { Command } from 'commander';
import { globalOptions } from '../../cli/context.js';

export function registerInit(program: Command): void {
  program
    .command('init')
    .description('write a commented starter config (mode 0600) and create the database')
    .option('--model <gguf>', 'put every agent on this local GGUF file')
    .option('--threads <n>', 'CPU threads for --model', '1')
    .option('--openai-url <url>', 'an OpenAI-compatible endpoint (LM Studio, vLLM, llama.cpp, Ollama)')
    .option('--openai-model <id>', 'model id at --openai-url')
    .option('--anthropic-model <id>', 'plan on Claude (e.g. claude-haiku-4-5), write locally')
    .option('-f, --force', 'overwrite an existing luna.yaml')
    .action(async (opts, cmd: Command) => (await import('./run.js')).run(opts, globalOptions(cmd)));
}
