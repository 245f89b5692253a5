import type { Command } from 'commander';
import { NotImplementedError } from '../../errors.js';

export function registerContext(program: Command): void {
  program
    .command('context')
    .description('(not implemented yet)')
    .allowUnknownOption()
    .action(() => {
      throw new NotImplementedError('luna context');
    });
}
