import type { Command } from 'commander';
import { NotImplementedError } from '../../errors.js';

export function registerPlay(program: Command): void {
  program
    .command('play')
    .description('(not implemented yet)')
    .allowUnknownOption()
    .action(() => {
      throw new NotImplementedError('luna play');
    });
}
