import type { Command } from 'commander';
import { registerModelsList } from './list.js';
import { registerModelsPull } from './pull.js';

export function registerModels(program: Command): void {
  const models = program.command('models').description('list configured models and download GGUF files');
  registerModelsList(models);
  registerModelsPull(models);
}
