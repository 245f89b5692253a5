import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PACKAGE_ROOT } from '../config/load.js';
import type { LunaConfig } from '../config/schema.js';
import { resolveTelemetry, type TelemetryEnv } from './settings.js';
import { NOOP_TELEMETRY, type Telemetry } from './noop.js';

/**
 * The process's tracing: a pass-through unless an OTLP endpoint is configured (`telemetry.otlp.endpoint` or the
 * standard OTEL_EXPORTER_OTLP_* variables). `debug` hears of export trouble; the player never does.
 */
export async function openTelemetry(config: LunaConfig, opts: { env?: TelemetryEnv; debug?: (message: string) => void } = {}): Promise<Telemetry> {
  const settings = resolveTelemetry(config, opts.env ?? process.env, opts.debug);
  // Off (the default): nothing of the exporter is even loaded.
  if (!settings) return NOOP_TELEMETRY;
  const { createTelemetry } = await import('./telemetry.js');
  return createTelemetry(settings, { version: packageVersion(), debug: opts.debug });
}

function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version?: string }).version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}
