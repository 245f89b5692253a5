import path from 'node:path';
import { expandTilde, PACKAGE_ROOT } from '../config/load.js';
import type { ServeConfig, ShardConfig } from '../config/schema.js';
import type { ShardPlacement } from './placement.js';

export interface EngineCommand {
  file: string;
  args: string[];
  env: Record<string, string>;
}

/** Names clients send as `model`: the config model names the shard serves, or the model itself. */
export function servedNames(s: ShardConfig): string[] {
  return s.serves.length ? s.serves : [s.model];
}

export function localEngineMain(): string {
  // Always the built file: under vitest this module runs from src/, where no .js exists.
  return path.join(PACKAGE_ROOT, 'dist', 'src', 'serve', 'local-engine', 'main.js');
}

export function engineCommand(s: ShardConfig, p: ShardPlacement, port: number, serve: ServeConfig): EngineCommand {
  const env = { ...s.env, ...p.env };
  const names = servedNames(s);
  const model = expandTilde(s.model);
  switch (s.engine) {
    case 'vllm': {
      const args = ['serve', model, '--host', '127.0.0.1', '--port', String(port),
        '--tensor-parallel-size', String(p.tensorParallel),
        '--gpu-memory-utilization', String(s.gpuMemoryUtilization),
        '--max-num-seqs', String(s.parallel)];
      if (s.contextLength) args.push('--max-model-len', String(s.contextLength));
      args.push('--served-model-name', ...names);
      return { file: serve.binaries.vllm, args: [...args, ...s.extraArgs], env };
    }
    case 'llamacpp': {
      // llama-server takes one --alias and answers whatever `model` a request names, so the other served names work too.
      // It splits -c across slots; contextLength is per request, so scale it.
      const args = ['-m', model, '--port', String(port), '--host', '127.0.0.1',
        '-ngl', p.gpuIndices.length ? '999' : '0',
        '--parallel', String(s.parallel), '--threads', String(s.threads), '--metrics', '--alias', names[0]!];
      if (s.contextLength) args.push('-c', String(s.contextLength * s.parallel));
      return { file: serve.binaries.llamacpp, args: [...args, ...s.extraArgs], env };
    }
    case 'local': {
      const args = [localEngineMain(), '--model', path.resolve(model), '--port', String(port), '--host', '127.0.0.1',
        '--threads', String(s.threads), '--parallel', String(s.parallel), '--served-model-name', names.join(',')];
      if (s.contextLength) args.push('--context-size', String(s.contextLength));
      return { file: process.execPath, args: [...args, ...s.extraArgs], env };
    }
  }
}
