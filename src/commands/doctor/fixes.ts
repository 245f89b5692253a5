import type { ModelConfig } from '../../config/schema.js';

/**
 * Environment variables that override config keys (applyEnv in config/load.ts), with the text their errors
 * carry: LUNA_THREADS names itself, the others are reported under the key they set.
 */
const ENV_OVERRIDES: ReadonlyArray<readonly [variable: string, mentions: readonly string[]]> = [
  ['LUNA_THREADS', ['LUNA_THREADS']],
  ['LUNA_CONTEXT_BUDGET', ['LUNA_CONTEXT_BUDGET', 'context.budgetTokens']],
  ['LUNA_DATABASE_URL', ['LUNA_DATABASE_URL', 'database.url']],
];

/** The set environment variable a config error is about, if any: editing luna.yaml would not fix it. */
export function envVariableBlamed(detail: string, env: NodeJS.ProcessEnv, opts: { databaseUrlFlag?: boolean } = {}): string | undefined {
  for (const [variable, mentions] of ENV_OVERRIDES) {
    if (env[variable] === undefined || env[variable] === '') continue;
    // --database-url beats LUNA_DATABASE_URL, so with the flag the variable is not the culprit.
    if (variable === 'LUNA_DATABASE_URL' && opts.databaseUrlFlag) continue;
    if (mentions.some((m) => detail.includes(m))) return variable;
  }
  return undefined;
}

export function envFix(variable: string): string {
  return `fix or unset the environment variable ${variable} (it overrides luna.yaml)`;
}

/**
 * The fix for a model that failed its ping, from the failure itself: a rejected key is not an unreachable
 * server. The ping reports only a detail line (stripped of the model name), so this reads its wording:
 * `HTTP 401 …`/`HTTP 403 …` from sdk-errors.ts and `no API key: VAR is not set` from resolveApiKey.
 */
export function modelFix(name: string, m: ModelConfig | undefined, detail: string, env: NodeJS.ProcessEnv): string {
  if (m?.provider === 'local') return name === 'demo' ? 'run `luna models pull demo`' : `check models.${name}.path`;
  const status = /^HTTP (\d{3})\b/.exec(detail)?.[1];
  if (m && (status === '401' || status === '403' || /^no API key\b/.test(detail))) return keyFix(name, m, status, env);
  if (m?.provider === 'anthropic') return m.baseUrl ? `check network access to models.${name}.baseUrl` : 'check network access to api.anthropic.com';
  return `start the server at models.${name}.baseUrl or fix the URL`;
}

function keyFix(name: string, m: Exclude<ModelConfig, { provider: 'local' }>, status: string | undefined, env: NodeJS.ProcessEnv): string {
  const variable = m.apiKeyEnv;
  const other = `or set models.${name}.apiKeyEnv to the variable that holds the right key`;
  const refused = status === '403' ? 'was refused for this model (403): check its permissions' : 'was rejected (401): check it';
  if (m.apiKey) return `the key in models.${name}.apiKey ${refused}, or remove it to use ${variable}`;
  if (env[variable]?.trim()) return `the key in ${variable} ${refused}, ${other}`;
  // No key sent at all: a local server (no key required) that wants one, or a cloud API without it.
  return `${status ? 'the server wants an API key: ' : ''}export ${variable}=… (${other})`;
}
