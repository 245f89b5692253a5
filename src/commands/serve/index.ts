import type { Command } from 'commander';
import { registerLogs } from './logs.js';
import { registerPlan } from './plan.js';
import { registerRestart } from './restart.js';
import { registerStatus } from './status.js';
import { registerStop } from './stop.js';
import { registerUp } from './up.js';

export function registerServe(program: Command): void {
  const serve = program
    .command('serve')
    .description('launch and monitor inference shards (vLLM, llama.cpp, local) across GPUs');
  registerPlan(serve);
  registerUp(serve);
  registerStatus(serve);
  registerLogs(serve);
  registerStop(serve);
  registerRestart(serve);
}
