import type { Command } from 'commander';
import { NotImplementedError } from '../../errors.js';

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('(not implemented yet)')
    .allowUnknownOption()
    .action(() => {
      throw new NotImplementedError('luna serve');
    });
}
