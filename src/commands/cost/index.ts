import type { Command } from 'commander';
import { NotImplementedError } from '../../errors.js';

export function registerCost(program: Command): void {
  program
    .command('cost')
    .description('(not implemented yet)')
    .allowUnknownOption()
    .action(() => {
      throw new NotImplementedError('luna cost');
    });
}
