import type { Command } from 'commander';
import { globalOptions } from '../../cli/context.js';

/** The rule flags of `lore add` and `lore edit` (docs/lore.md); on edit, only what is given changes. */
function ruleFlags(c: Command): Command {
  return c
    .option('-k, --keys <list>', 'comma-separated keys; /pattern/flags is a regular expression (default: the title)')
    .option('--secondary <list>', 'comma-separated secondary keys, combined by --logic')
    .option('--logic <logic>', 'and-any | and-all | not-any | not-all (how secondary keys combine)')
    .option('--constant', 'always in the context')
    .option('--no-constant', 'triggered by its keys only')
    .option('--case-sensitive', 'keys match only in the same case')
    .option('--no-case-sensitive', 'keys match in any case')
    .option('--whole-words', 'keys match whole words only (the default)')
    .option('--no-whole-words', 'keys match inside words too')
    .option('--order <n>', 'insertion order within its position: lower first (default 100)')
    .option('--priority <n>', '-100…100: kept first when the budget runs short (default 0)')
    .option('--position <pos>', 'before | after (the character sheets) | recent (just before the recent turns)')
    .option('--probability <pct>', '0–100: chance it is used when triggered (default 100)')
    .option('--exclude-recursion', "other entries' text cannot trigger it")
    .option('--no-exclude-recursion', "other entries' text can trigger it")
    .option('--prevent-recursion', 'its text does not trigger other entries')
    .option('--no-prevent-recursion', 'its text can trigger other entries')
    .option('--enable', 'use the entry again (after --disable)')
    .option('--disable', 'keep the entry but never use it')
    .option('--comment <text>', 'a note for authors; never sent to a model');
}

export function registerLore(program: Command): void {
  const lore = program.command('lore').description("a story's lore: add, list, edit, remove, import lorebooks (SillyTavern, NovelAI, AI Dungeon)");
  lore
    .command('list')
    .alias('ls')
    .description('list the lore entries of a story with their keys and rules')
    .requiredOption('--story <id>', 'story id or unique prefix')
    .action(async (opts, cmd: Command) => (await import('./list.js')).run(opts, globalOptions(cmd)));
  ruleFlags(
    lore
      .command('add')
      .description('add a lore entry')
      .requiredOption('--story <id>', 'story id or unique prefix')
      .requiredOption('-t, --title <title>', 'the entry name (its key when it has no keys)')
      .requiredOption('-b, --body <text>', 'what the models are told when it triggers'),
  ).action(async (opts, cmd: Command) => (await import('./add.js')).run(opts, globalOptions(cmd)));
  ruleFlags(
    lore
      .command('edit <entry>')
      .description('change a lore entry: only the flags given change')
      .requiredOption('--story <id>', 'story id or unique prefix')
      .option('-t, --title <title>', 'new name')
      .option('-b, --body <text>', 'new text'),
  ).action(async (ref: string, opts, cmd: Command) => (await import('./edit.js')).run(ref, opts, globalOptions(cmd)));
  lore
    .command('rm <entry>')
    .alias('remove')
    .description('remove a lore entry')
    .requiredOption('--story <id>', 'story id or unique prefix')
    .action(async (ref: string, opts, cmd: Command) => (await import('./rm.js')).run(ref, opts, globalOptions(cmd)));
  lore
    .command('import <file>')
    .description('import a lorebook: SillyTavern World Info, NovelAI .lorebook, AI Dungeon story cards, a card\'s character_book (all or nothing)')
    .requiredOption('--story <id>', 'story id or unique prefix')
    .option('--replace', "replace the story's lore instead of adding to it")
    .option('--allow-duplicates', 'keep entries whose name another entry has (numbered "Name (2)")')
    .option('--dry-run', 'check and report, write nothing')
    .action(async (file: string, opts, cmd: Command) => (await import('./import.js')).run(file, opts, globalOptions(cmd)));
}
