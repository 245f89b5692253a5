import type { Command } from 'commander';
import { registerBurstDown } from './down.js';
import { registerBurstPlan } from './plan.js';
import { registerBurstStatus } from './status.js';
import { registerBurstUp } from './up.js';
import { registerBurstWatch } from './watch.js';

export function registerBurst(program: Command): void {
  const burst = program
    .command('burst')
    .description('rent burst GPUs on RunPod, Vast.ai or Lambda when load spikes, and give them back');
  registerBurstUp(burst);
  registerBurstStatus(burst);
  registerBurstDown(burst);
  registerBurstPlan(burst);
  registerBurstWatch(burst);
}
