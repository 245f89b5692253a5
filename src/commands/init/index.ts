import type { Command } from 'commander';
import { NotImplementedError } from '../../errors.js';

export function registerInit(program: Command): void {
  program
    .command('init')
    .description('(not implemented yet)')
    .allowUnknownOption()
    .action(() => {
      throw new NotImplementedError('luna init');
    });
}
