import type { Command } from 'commander';
import { NotImplementedError } from '../../errors.js';

export function registerTurn(program: Command): void {
  program
    .command('turn')
    .description('(not implemented yet)')
    .allowUnknownOption()
    .action(() => {
      throw new NotImplementedError('luna turn');
    });
}
