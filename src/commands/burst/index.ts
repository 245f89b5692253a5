import type { Command } from 'commander';
import { NotImplementedError } from '../../errors.js';

export function registerBurst(program: Command): void {
  program
    .command('burst')
    .description('(not implemented yet)')
    .allowUnknownOption()
    .action(() => {
      throw new NotImplementedError('luna burst');
    });
}
