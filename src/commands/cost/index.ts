import { Option, type Command } from 'commander';
import { globalOptions } from '../../cli/context.js';

export function registerCost(program: Command): void {
  const cost = program.command('cost').description('spend per agent, model, story, account and day; projections, prices and budgets');
  cost
    .command('report')
    .description('what the ledger says was spent, grouped and filtered (cloud, self-hosted and burst apart)')
    .option('--by <keys>', 'group by agent|model|provider|story|account|day|month (comma-separated), or turn with --story')
    .option('--since <when>', 'from: 2026-11-01, 2026-11, 7d, 24h, today, yesterday, this-month, last-month')
    .option('--until <when>', 'to (exclusive; a bare date includes that day)')
    .option('--story <id>', 'only this story (id, id prefix or title)')
    .option('--account <id>', 'only this account')
    .option('--agent <name>', 'only this agent (preprocessor, strategist, writer, dreamer, burst)')
    .option('--csv', 'comma-separated values (raw numbers)')
    .action(async (opts, cmd: Command) => (await import('./report.js')).run(opts, globalOptions(cmd)));
  cost
    .command('project')
    .description('monthly cost at the recent rate and at given volumes, with cheaper or dearer model alternatives')
    .option('--volumes <list>', 'turns per month to price, comma-separated (10k, 1m accepted)', '10000,100000,1000000')
    .option('--window <days>', 'days of ledger to learn the rate and model mix from', '7')
    .option('--account <id>', 'only this account')
    .option('--agent <name>', 'show alternatives for this agent only')
    .option('--top <n>', 'alternatives to show per agent', '8')
    .action(async (opts, cmd: Command) => (await import('./project.js')).run(opts, globalOptions(cmd)));
  cost
    .command('prices')
    .description('the price table (configs/pricing.yaml, cost.pricingFile) and per-model overrides')
    .action(async (opts, cmd: Command) => (await import('./prices.js')).run(opts, globalOptions(cmd)));
  cost
    .command('budget')
    .description('each budget and tier quota: used, limits, level (ok, soft, hard)')
    .addOption(new Option('--account <id>', 'account to show (default: every account)'))
    .action(async (opts, cmd: Command) => (await import('./budget.js')).run(opts, globalOptions(cmd)));
}
