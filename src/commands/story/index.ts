import type { Command } from 'commander';
import { NotImplementedError } from '../../errors.js';

export function registerStory(program: Command): void {
  program
    .command('story')
    .description('(not implemented yet)')
    .allowUnknownOption()
    .action(() => {
      throw new NotImplementedError('luna story');
    });
}
