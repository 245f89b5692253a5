import type { Command } from 'commander';
import { NotImplementedError } from '../../errors.js';

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description('(not implemented yet)')
    .allowUnknownOption()
    .action(() => {
      throw new NotImplementedError('luna doctor');
    });
}
