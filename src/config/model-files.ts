import { existsSync } from 'node:fs';
import { ConfigError } from '../errors.js';
import type { LunaConfig } from './schema.js';

export interface MissingModel {
  model: string;
  path: string;
  /** The agents whose primary model it is. */
  agents: string[];
}

/** Local models the agents (and the Preprocessor's embedding model) run on whose GGUF file is not there. */
export function missingModelFiles(config: LunaConfig): MissingModel[] {
  const byModel = new Map<string, string[]>();
  for (const [agent, a] of Object.entries(config.agents)) {
    // The Preprocessor calls no LLM: only its embedding model is loaded.
    const names = agent === 'preprocessor' ? ('embeddingModel' in a && a.embeddingModel ? [a.embeddingModel] : []) : [a.model];
    for (const name of names) byModel.set(name, [...(byModel.get(name) ?? []), agent]);
  }
  const out: MissingModel[] = [];
  for (const [name, agents] of byModel) {
    const m = config.models[name];
    if (m?.provider === 'local' && !existsSync(m.path)) out.push({ model: name, path: m.path, agents });
  }
  return out;
}

/**
 * A model call that failed on a missing GGUF file becomes one error naming every missing file the agents
 * use: one at a time meant a fix, a rerun, and the next agent's file reported missing. Other errors pass.
 */
export function allMissingModelFiles(err: unknown, config: LunaConfig): unknown {
  const message = err instanceof Error ? err.message : String(err);
  const missing = missingModelFiles(config);
  if (!missing.some((m) => message.includes(m.path))) return err;
  const list = missing.map((m) => `${m.model} (${m.agents.join(', ')}): ${m.path}`).join('; ');
  const demo = missing.some((m) => /stories260K\.gguf$/.test(m.path));
  const paths = missing.map((m) => `models.${m.model}.path`).join(', ');
  const out = new ConfigError(`model file${missing.length > 1 ? 's' : ''} not found: ${list}`, {
    hint: `${demo ? 'download the demo model with `luna models pull demo`; ' : ''}fix ${paths} in luna.yaml, or download with \`luna models pull <url|hf:OWNER/REPO/FILE.gguf>\``,
    cause: err,
  });
  // The failed attempts the router attached still belong in the ledger.
  const calls = (err as { calls?: unknown } | null)?.calls;
  if (calls !== undefined) Object.defineProperty(out, 'calls', { value: calls, enumerable: false, configurable: true });
  return out;
}
