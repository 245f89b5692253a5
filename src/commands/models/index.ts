import type { Command } from 'commander';
import { NotImplementedError } from '../../errors.js';

export function registerModels(program: Command): void {
  program
    .command('models')
    .description('(not implemented yet)')
    .allowUnknownOption()
    .action(() => {
      throw new NotImplementedError('luna models');
    });
}
