import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import type { z } from 'zod';
import { ConfigError, redactSecrets } from '../errors.js';
import { configSchema, type LunaConfig } from './schema.js';

export interface LoadConfigOptions {
  /** Data dir; default `$LUNA_HOME` or `~/.luna`. */
  home?: string;
  /** Extra config file (`--config`). */
  configFile?: string;
  /** `--database-url`; beats config and env. */
  databaseUrl?: string;
  env?: NodeJS.ProcessEnv;
}

export interface LoadedConfig {
  config: LunaConfig;
  home: string;
  /** Files that were read, lowest layer first. */
  files: string[];
}

type Plain = Record<string, unknown>;

/** The package root, found by walking up to package.json: code runs from src/ (tests) and dist/src/ (CLI). */
export const PACKAGE_ROOT = findPackageRoot(path.dirname(fileURLToPath(import.meta.url)));

function findPackageRoot(start: string): string {
  let dir = start;
  while (!existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) return path.resolve(start, '../..');
    dir = up;
  }
  return dir;
}
export const CONFIGS_DIR = path.join(PACKAGE_ROOT, 'configs');

export function resolveHome(opts: { home?: string; env?: NodeJS.ProcessEnv }): string {
  const env = opts.env ?? process.env;
  return path.resolve(expandTilde(opts.home ?? env.LUNA_HOME ?? path.join(homedir(), '.luna')));
}

export function userConfigPath(home: string): string {
  return path.join(home, 'luna.yaml');
}

export function loadConfig(opts: LoadConfigOptions = {}): LoadedConfig {
  const env = opts.env ?? process.env;
  const home = resolveHome({ home: opts.home, env });
  const files: string[] = [];
  let merged: Plain = {};
  const layer = (file: string, required: boolean) => {
    if (!existsSync(file)) {
      if (required) throw new ConfigError(`config file not found: ${file}`, { hint: 'check the --config path' });
      return;
    }
    const data = readYamlFile(file);
    merged = deepMerge(merged, resolvePaths(data, path.dirname(file), home));
    files.push(file);
  };
  layer(path.join(CONFIGS_DIR, 'defaults.yaml'), true);
  layer(userConfigPath(home), false);
  if (opts.configFile) layer(path.resolve(opts.configFile), true);
  merged = applyEnv(merged, env, opts.databaseUrl);
  const result = configSchema.safeParse(merged, { reportInput: true });
  if (!result.success) {
    throw new ConfigError(formatConfigIssues(result.error.issues, files), {
      hint: 'fix the keys named above; every key is documented in configs/luna.example.yaml',
    });
  }
  checkReferences(result.data, files);
  return { config: result.data, home, files };
}

export function readYamlFile(file: string): Plain {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new ConfigError(`cannot read config ${file}: ${code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'EISDIR' ? 'it is a folder' : code}`, {
      hint: 'point --config at a readable YAML file',
    });
  }
  let data: unknown;
  try {
    data = parseYaml(text, { prettyErrors: true });
  } catch (err) {
    if (err instanceof YAMLParseError) {
      const pos = err.linePos?.[0];
      const where = pos ? `${file}:${pos.line}:${pos.col}` : file;
      throw new ConfigError(`${where}: invalid YAML: ${err.message.split('\n')[0]}`, {
        hint: 'check indentation and quoting on that line',
      });
    }
    // The parser's other refusals (an alias bomb: "Excessive alias count…") are about the file too.
    throw new ConfigError(`${file}: invalid YAML: ${(err as Error).message.split('\n')[0]}`, {
      hint: 'luna.yaml needs no anchors or aliases; write the values out',
    });
  }
  if (data === null || data === undefined) return {};
  if (!isPlain(data)) throw new ConfigError(`${file}: expected a mapping at the top level, found ${describe(data)}`);
  return data;
}

export function formatConfigIssues(issues: readonly z.core.$ZodIssue[], files: string[]): string {
  const lines = issues.map((issue) => {
    const at = issue.path.length ? issue.path.join('.') : '(top level)';
    const found = 'input' in issue ? `, found ${describe(issue.input)}` : '';
    let expected = issue.message;
    if (issue.code === 'invalid_type') expected = `expected ${issue.expected}`;
    else if (issue.code === 'unrecognized_keys') return `${at}: unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    else if (issue.code === 'invalid_union' && 'discriminator' in issue && typeof issue.discriminator === 'string') {
      // The input is the whole mapping; the user wants the field's value and the choices.
      const options = Array.isArray((issue as { options?: unknown }).options) ? (issue as { options: unknown[] }).options.map(String) : [];
      const value = isPlain(issue.input) ? issue.input[issue.discriminator] : undefined;
      return `${at}: expected one of ${options.join('|') || issue.message}, found ${describe(value)}`;
    }
    return `${at}: ${expected}${found}`;
  });
  const source = files.length > 1 ? ` (from ${files.slice(1).join(', ')})` : '';
  return `invalid config${source}: ${lines.join('; ')}`;
}

function checkReferences(config: LunaConfig, files: string[]): void {
  const problems: string[] = [];
  for (const [agent, a] of Object.entries(config.agents)) {
    for (const name of [a.model, ...a.fallbacks, ...('embeddingModel' in a && a.embeddingModel ? [a.embeddingModel] : [])]) {
      if (!config.models[name]) problems.push(`agents.${agent}: expected a model named in models:, found "${name}"`);
    }
  }
  for (const [tier, t] of Object.entries(config.cost.tiers)) {
    for (const [agent, name] of Object.entries(t.degrade?.models ?? {})) {
      if (name && !config.models[name]) problems.push(`cost.tiers.${tier}.degrade.models.${agent}: expected a model named in models:, found "${name}"`);
    }
  }
  if (problems.length) {
    throw new ConfigError(formatConfigIssuesText(problems, files), {
      hint: `known models: ${Object.keys(config.models).join(', ') || '(none)'}`,
    });
  }
}

function formatConfigIssuesText(lines: string[], files: string[]): string {
  const source = files.length > 1 ? ` (from ${files.slice(1).join(', ')})` : '';
  return `invalid config${source}: ${lines.join('; ')}`;
}

function applyEnv(cfg: Plain, env: NodeJS.ProcessEnv, databaseUrl?: string): Plain {
  const out = { ...cfg };
  const url = databaseUrl ?? env.LUNA_DATABASE_URL;
  if (url) out.database = { ...(isPlain(out.database) ? out.database : {}), url };
  if (env.LUNA_QUEUE) out.queue = env.LUNA_QUEUE;
  if (env.LUNA_THREADS && isPlain(out.models)) {
    const threads = Number(env.LUNA_THREADS);
    if (!Number.isInteger(threads) || threads < 1) throw new ConfigError(`LUNA_THREADS: expected a whole number ≥ 1, found "${env.LUNA_THREADS}"`, { hint: 'set it to the CPU threads per model process (e.g. LUNA_THREADS=1), or unset it' });
    out.models = Object.fromEntries(
      Object.entries(out.models).map(([k, m]) => [k, isPlain(m) && m.provider === 'local' ? { ...m, threads } : m]),
    );
  }
  if (env.LUNA_CONTEXT_BUDGET) {
    const budget = Number(env.LUNA_CONTEXT_BUDGET);
    if (!/^\s*\d+\s*$/.test(env.LUNA_CONTEXT_BUDGET) || !Number.isSafeInteger(budget) || budget < 1) {
      throw new ConfigError(`LUNA_CONTEXT_BUDGET (sets context.budgetTokens): expected a whole number of tokens ≥ 1, found "${env.LUNA_CONTEXT_BUDGET}"`, { hint: 'set it to the Writer\'s context budget in tokens (e.g. LUNA_CONTEXT_BUDGET=3000), or unset it' });
    }
    out.context = { ...(isPlain(out.context) ? out.context : {}), budgetTokens: budget };
  }
  return out;
}

/** Paths are relative to the file that names them, so a config can travel with its models, workflow and prices. */
function resolvePaths(data: Plain, dir: string, home: string): Plain {
  const resolve = (p: string) => {
    const x = expandTilde(p.replaceAll('{home}', home));
    return path.isAbsolute(x) ? x : path.resolve(dir, x);
  };
  if (isPlain(data.cost) && typeof data.cost.pricingFile === 'string') {
    data = { ...data, cost: { ...data.cost, pricingFile: resolve(data.cost.pricingFile) } };
  }
  const dreamer = isPlain(data.agents) && isPlain(data.agents.dreamer) ? data.agents.dreamer : null;
  if (dreamer && isPlain(dreamer.comfyui)) {
    const agents = data.agents as Plain;
    const c = dreamer.comfyui;
    const comfyui = {
      ...c,
      ...(typeof c.workflow === 'string' ? { workflow: resolve(c.workflow) } : {}),
      ...(typeof c.imagesDir === 'string' ? { imagesDir: resolve(c.imagesDir) } : {}),
    };
    data = { ...data, agents: { ...agents, dreamer: { ...dreamer, comfyui } } };
  }
  if (!isPlain(data.models)) return data;
  const models: Plain = {};
  for (const [name, m] of Object.entries(data.models)) {
    models[name] = isPlain(m) && typeof m.path === 'string' ? { ...m, path: resolve(m.path) } : m;
  }
  return { ...data, models };
}

export function deepMerge(base: Plain, over: Plain): Plain {
  const out: Plain = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = isPlain(b) && isPlain(v) ? deepMerge(b, v) : v;
  }
  return out;
}

export function expandTilde(p: string): string {
  return p === '~' || p.startsWith('~/') ? path.join(homedir(), p.slice(1)) : p;
}

function isPlain(v: unknown): v is Plain {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') {
    // Redacted before it is cut: a cut URL loses the '@' that shows where its password ends.
    const r = redactSecrets(v);
    return `"${r.length > 40 ? `${r.slice(0, 40)}…` : r}"`;
  }
  return `${typeof v} ${String(v)}`;
}
