import { Command, Option } from 'commander';
import { readFileSync } from 'node:fs';
import { registerBurst } from '../commands/burst/index.js';
import { registerContext } from '../commands/context/index.js';
import { registerCost } from '../commands/cost/index.js';
import { registerDoctor } from '../commands/doctor/index.js';
import { registerInit } from '../commands/init/index.js';
import { registerMigrate } from '../commands/migrate/index.js';
import { registerModels } from '../commands/models/index.js';
import { registerPlay } from '../commands/play/index.js';
import { registerServe } from '../commands/serve/index.js';
import { registerStory } from '../commands/story/index.js';
import { registerLore } from '../commands/lore/index.js';
import { registerEntity } from '../commands/entity/index.js';
import { registerFact } from '../commands/fact/index.js';
import { registerMemory } from '../commands/memory/index.js';
import { registerTurn } from '../commands/turn/index.js';
import { registerDream } from '../commands/dream/index.js';
import { registerJobs } from '../commands/jobs/index.js';
import { registerAccount } from '../commands/account/index.js';
import { registerDb } from '../commands/db/index.js';
import { registerApi } from '../commands/api/index.js';
import { registerTop } from '../commands/top/index.js';

/**
 * The commander tree. Command files register only their flags here; each action lazy-imports
 * its implementation so `luna --help` never loads ink, react, node-llama-cpp or an SDK.
 */
export function buildProgram(): Command {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  const program = new Command('luna')
    .description('LUNA: long, coherent AI interactive stories — CLI and local operator console')
    .version(pkg.version, '-V, --version')
    .option('-c, --config <file>', 'extra config file layered over ~/.luna/luna.yaml')
    .option('--home <dir>', 'data dir (default: $LUNA_HOME or ~/.luna)')
    .addOption(new Option('--database-url <url>', 'sqlite:PATH or postgres://… (default: <home>/luna.db)').env('LUNA_DATABASE_URL'))
    .option('--json', 'machine-readable output', false)
    .option('--debug', 'show stack traces on errors', false)
    .showSuggestionAfterError(true)
    .exitOverride();
  program.configureOutput({ outputError: (str, write) => write(str.replace(/^error: /, 'luna: ')) });

  registerInit(program);
  registerStory(program);
  registerLore(program);
  registerEntity(program);
  registerFact(program);
  registerMemory(program);
  registerTurn(program);
  registerPlay(program);
  registerContext(program);
  registerDream(program);
  registerJobs(program);
  registerServe(program);
  registerApi(program);
  registerBurst(program);
  registerTop(program);
  registerMigrate(program);
  registerDb(program);
  registerAccount(program);
  registerCost(program);
  registerModels(program);
  registerDoctor(program);

  // exitOverride must reach subcommands too so usage errors return instead of exiting mid-flight.
  const override = (cmd: Command) => {
    cmd.exitOverride();
    cmd.commands.forEach(override);
  };
  override(program);
  return program;
}
