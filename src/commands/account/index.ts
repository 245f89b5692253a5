import type { Command } from 'commander';
import { globalOptions } from '../../cli/context.js';

export function registerAccount(program: Command): void {
  const account = program.command('account').description('accounts (tenants) and their API keys');
  account
    .command('create <name>')
    .description('create an account')
    .option('--id <id>', 'account id (default: a random short id)')
    .option('--tier <tier>', 'pricing tier, e.g. free, studio', 'free')
    .action(async (name: string, opts, cmd: Command) => (await import('./create.js')).run(name, opts, globalOptions(cmd)));
  account
    .command('list')
    .alias('ls')
    .description('list accounts')
    .action(async (_opts, cmd: Command) => (await import('./list.js')).run(globalOptions(cmd)));
  account
    .command('tier <account> <tier>')
    .description('move an account to another pricing tier (one cost.tiers defines)')
    .action(async (accountId: string, tier: string, _opts, cmd: Command) => (await import('./tier.js')).run(accountId, tier, globalOptions(cmd)));
  const keys = account.command('keys').description('create, list and revoke API keys');
  keys
    .command('create <account>')
    .description('issue an API key for an account (the key is shown once)')
    .option('-l, --label <text>', 'what the key is for', '')
    .action(async (accountId: string, opts, cmd: Command) => (await import('./keys-create.js')).run(accountId, opts, globalOptions(cmd)));
  keys
    .command('list [account]')
    .alias('ls')
    .description('list API keys (prefix, label, last use), of one account or all')
    .action(async (accountId: string | undefined, _opts, cmd: Command) => (await import('./keys-list.js')).run(accountId, globalOptions(cmd)));
  keys
    .command('revoke <keyId>')
    .description('revoke an API key (it stops working at once; the record is kept)')
    .action(async (keyId: string, _opts, cmd: Command) => (await import('./keys-revoke.js')).run(keyId, globalOptions(cmd)));
}
