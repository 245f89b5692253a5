import type { BurstConfig } from '../../config/schema.js';
import { ConfigError } from '../../errors.js';
import { HttpClient } from '../http.js';
import { PROVIDERS, type BurstProvider, type ProviderName } from '../types.js';
import { LambdaProvider } from './lambda.js';
import { RunPodProvider } from './runpod.js';
import { VastProvider } from './vast.js';

export const DEFAULT_KEY_ENV: Record<ProviderName, string> = { runpod: 'RUNPOD_API_KEY', vast: 'VAST_API_KEY', lambda: 'LAMBDA_API_KEY' };
export const DEFAULT_BASE_URL: Record<ProviderName, string> = {
  runpod: 'https://api.runpod.io',
  vast: 'https://console.vast.ai',
  lambda: 'https://cloud.lambda.ai',
};

export interface ProviderFactoryOptions {
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  maxRetries?: number;
}

/** The key from config, else the configured (or default) env var; null when the provider is not set up. */
export function providerKey(cfg: BurstConfig, name: ProviderName, env: NodeJS.ProcessEnv = process.env): { key: string | null; env: string } {
  const p = cfg.providers[name];
  const envName = p?.apiKeyEnv ?? DEFAULT_KEY_ENV[name];
  return { key: p?.apiKey ?? env[envName] ?? null, env: envName };
}

export function createProvider(cfg: BurstConfig, name: ProviderName, opts: ProviderFactoryOptions = {}): BurstProvider {
  const { key, env } = providerKey(cfg, name, opts.env);
  if (!key) throw new ConfigError(`no API key for ${name}`, { hint: `export ${env}=… or set burst.providers.${name}.apiKey` });
  const p = cfg.providers[name] ?? {};
  const http = new HttpClient({
    provider: name,
    baseUrl: p.baseUrl ?? DEFAULT_BASE_URL[name],
    apiKey: key,
    apiKeyEnv: env,
    timeoutMs: opts.timeoutMs,
    maxRetries: opts.maxRetries,
  });
  switch (name) {
    case 'lambda':
      return new LambdaProvider({ http, sshKeyName: p.sshKeyName, region: p.region, port: cfg.port, allowedSources: p.allowedSources });
    case 'vast':
      return new VastProvider({ http, port: cfg.port, minCudaVersion: cfg.minCudaVersion, minReliability: p.minReliability });
    case 'runpod':
      return new RunPodProvider({ http, proxyUrl: p.proxyUrl, port: cfg.port, minCudaVersion: cfg.minCudaVersion });
  }
}

/** Providers to consider: the one asked for, else `burst.provider`, else every provider with a key. */
export function eligibleProviders(cfg: BurstConfig, wanted: ProviderName | undefined, opts: ProviderFactoryOptions = {}): BurstProvider[] {
  const pick = wanted ?? cfg.provider;
  if (pick) return [createProvider(cfg, pick, opts)];
  const names = PROVIDERS.filter((n) => providerKey(cfg, n, opts.env).key);
  if (!names.length) {
    throw new ConfigError('no burst provider has an API key', { hint: 'export RUNPOD_API_KEY, VAST_API_KEY or LAMBDA_API_KEY (or set burst.providers.<name>.apiKey)' });
  }
  return names.map((n) => createProvider(cfg, n, opts));
}
