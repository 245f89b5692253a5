import type { Command } from 'commander';
import { NotImplementedError } from '../../errors.js';

export function registerDream(program: Command): void {
  program
    .command('dream')
    .description('(not implemented yet)')
    .allowUnknownOption()
    .action(() => {
      throw new NotImplementedError('luna dream');
    });
}
