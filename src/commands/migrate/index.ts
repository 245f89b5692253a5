import type { Command } from 'commander';
import { NotImplementedError } from '../../errors.js';

export function registerMigrate(program: Command): void {
  program
    .command('migrate')
    .description('(not implemented yet)')
    .allowUnknownOption()
    .action(() => {
      throw new NotImplementedError('luna migrate');
    });
}
