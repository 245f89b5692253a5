import { accessSync, constants, existsSync } from 'node:fs';
import path from 'node:path';
import { expandTilde } from '../config/load.js';
import type { ServeConfig, ShardConfig } from '../config/schema.js';
import { ConfigError, NotFoundError } from '../errors.js';
import { ServeError } from './errors.js';
import { formatPlan, PLACEMENT_HINT, type PlacementPlan } from './placement.js';
import { isPortFree } from './ports.js';

/** Finds an executable the way a shell would, so a missing engine fails before anything starts. */
export function findExecutable(bin: string, env: NodeJS.ProcessEnv = process.env): string | null {
  const candidates = bin.includes('/') ? [path.resolve(bin)] : (env.PATH ?? '').split(path.delimiter).filter(Boolean).map((d) => path.join(d, bin));
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // keep looking
    }
  }
  return null;
}

/** One reason a shard cannot start, with the fix for it. */
export interface Problem {
  text: string;
  hint: string;
}

/** Names key the state file, the logs and the control API: two shards with one name is a config mistake. */
export function assertUniqueShardNames(shards: ShardConfig[]): void {
  const seen = new Set<string>();
  for (const s of shards) {
    if (seen.has(s.name)) throw new ConfigError(`serve.shards: two shards are named "${s.name}"`, { hint: 'shard names must be unique; rename one of them in luna.yaml' });
    seen.add(s.name);
  }
}

export function unknownShard(name: string, known: string[]): NotFoundError {
  return new NotFoundError(`no shard named "${name}"`, { hint: known.length ? `shards: ${known.join(', ')}` : 'no shards configured under serve.shards' });
}

export function binaryProblems(serve: ServeConfig): Problem[] {
  const out: Problem[] = [];
  for (const s of serve.shards) {
    if (s.engine === 'local') continue; // runs on this very node
    const bin = serve.binaries[s.engine];
    if (!findExecutable(bin)) out.push({ text: `${s.name}: engine binary "${bin}" not found on PATH`, hint: `install ${bin} or set serve.binaries.${s.engine} to its full path` });
  }
  return out;
}

/** GGUF engines need a file; vLLM's model may be a Hugging Face id, so it is not checked. */
export function modelFileProblems(serve: ServeConfig): Problem[] {
  const out: Problem[] = [];
  for (const s of serve.shards) {
    if (s.engine === 'vllm') continue;
    const file = path.resolve(expandTilde(s.model));
    if (!existsSync(file)) out.push({ text: `${s.name}: model file ${file} not found`, hint: `point ${s.name}'s model at an existing GGUF file (\`luna models pull\` fetches one)` });
  }
  return out;
}

/**
 * Fixed ports that are taken or claimed twice. `owned` are ports the running supervisor (or engines the next
 * `up` stops first) hold: not a problem for a new start.
 */
export async function portProblems(serve: ServeConfig, owned: Set<number> = new Set()): Promise<Problem[]> {
  const out: Problem[] = [];
  const claimed = new Map<number, string>();
  for (const s of serve.shards) {
    if (s.port === 'auto') continue;
    const other = claimed.get(s.port);
    if (other) out.push({ text: `${s.name}: port ${s.port} is also set for ${other}`, hint: 'give each shard its own port, or set port: auto' });
    else if (!owned.has(s.port) && !(await isPortFree(s.port))) out.push({ text: `${s.name}: port ${s.port} is already in use`, hint: `stop whatever listens on ${s.port} (e.g. \`ss -ltnp 'sport = :${s.port}'\`) or set port: auto` });
    claimed.set(s.port, s.name);
  }
  const mp = serve.metricsPort;
  if (mp !== 0 && !owned.has(mp)) {
    if (claimed.has(mp)) out.push({ text: `metricsPort ${mp} is also the port of ${claimed.get(mp)}`, hint: 'set serve.metricsPort to another port, or 0 for any' });
    else if (!(await isPortFree(mp))) out.push({ text: `metrics port ${mp} is already in use`, hint: 'set serve.metricsPort to a free port, or 0 for any' });
  }
  return out;
}

/**
 * What `plan` says when anything would stop `up`: every problem, placement first, then the plan itself.
 * The hints are those of the problems listed, so each fix is named once.
 */
export function assertCanStart(plan: PlacementPlan, problems: Problem[]): void {
  const all = [...plan.problems.map((text) => ({ text, hint: PLACEMENT_HINT })), ...problems];
  if (all.length === 0) return;
  const hints = [...new Set(all.map((p) => p.hint))];
  throw new ServeError(`${plan.problems.length ? 'placement does not fit' : 'shards cannot start'}:\n${all.map((p) => `  - ${p.text}`).join('\n')}\nplan:\n${formatPlan(plan)}`, {
    hint: hints.join('; '),
  });
}
