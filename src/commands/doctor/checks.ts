import { accessSync, constants } from 'node:fs';
import type { GlobalOptions } from '../../cli/context.js';
import type { LoadedConfig } from '../../config/load.js';
import { LunaError } from '../../errors.js';
import type { Store } from '../../store/types.js';
import { envFix, envVariableBlamed, modelFix } from './fixes.js';
import { plural } from '../../util/plural.js';

export type CheckStatus = 'pass' | 'warn' | 'fail';
export interface CheckResult {
  check: string;
  status: CheckStatus;
  detail: string;
  fix?: string;
}

/** Each check is independent: one failing never hides the others. */
export async function runChecks(g: GlobalOptions, opts: { models: boolean }): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  const major = Number(process.versions.node.split('.')[0]);
  out.push(major >= 20 ? { check: 'node', status: 'pass', detail: `v${process.versions.node}` } : { check: 'node', status: 'fail', detail: `v${process.versions.node}`, fix: 'install Node.js 20 or newer' });

  let loaded: LoadedConfig | null = null;
  try {
    const { loadConfig } = await import('../../config/load.js');
    loaded = loadConfig({ home: g.home, configFile: g.config, databaseUrl: g.databaseUrl });
    out.push({ check: 'config', status: 'pass', detail: loaded.files.slice(1).join(', ') || 'built-in defaults only' });
  } catch (err) {
    const variable = envVariableBlamed(message(err), process.env, { databaseUrlFlag: g.databaseUrl !== undefined });
    out.push({ check: 'config', status: 'fail', detail: message(err), fix: variable ? envFix(variable) : hint(err) ?? 'fix luna.yaml' });
    return out;
  }

  try {
    const { checkHome, ensureDir } = await import('../../util/ensure-dir.js');
    checkHome(loaded.home);
    ensureDir(loaded.home, { what: 'data dir', mode: 0o700 });
    accessSync(loaded.home, constants.W_OK);
    out.push({ check: 'data dir', status: 'pass', detail: loaded.home });
  } catch (err) {
    out.push({ check: 'data dir', status: 'fail', detail: message(err), fix: hint(err) ?? `make ${loaded.home} writable or pass --home` });
  }
  out.push(await diskCheck(loaded));

  try {
    const { openStore } = await import('../../store/open.js');
    const store = await openStore(loaded.config.database, loaded.home, { autoMigrateSqlite: false });
    try {
      const s = await store.migrationStatus();
      if (s.current === s.latest) {
        out.push({ check: 'database', status: 'pass', detail: `${store.dialect}, schema ${s.current}/${s.latest}` });
        out.push(await rollupCheck(store));
      }
      // SQLite migrates itself when a command first uses it; PostgreSQL waits for the operator.
      else if (s.current < s.latest && store.dialect === 'sqlite') out.push({ check: 'database', status: 'pass', detail: `sqlite, schema ${s.current}/${s.latest}: migrates itself on first use` });
      else if (s.current < s.latest) out.push({ check: 'database', status: 'warn', detail: `${store.dialect}, schema ${s.current}/${s.latest}`, fix: 'run `luna migrate up`' });
      else out.push({ check: 'database', status: 'fail', detail: `schema ${s.current} is newer than this luna (${s.latest})`, fix: 'upgrade luna' });
    } finally {
      await store.close();
    }
  } catch (caught) {
    const { resolveStoreTarget } = await import('../../store/open.js');
    const { storageError } = await import('../../util/storage-error.js');
    const target = resolveStoreTarget(loaded.config.database.url, loaded.home);
    const err = target.dialect === 'sqlite' && target.file !== ':memory:' ? storageError(caught, target.file) : caught;
    const variable = envVariableBlamed(message(err), process.env, { databaseUrlFlag: g.databaseUrl !== undefined });
    out.push({ check: 'database', status: 'fail', detail: message(err), fix: variable ? envFix(variable) : hint(err) ?? 'check --database-url' });
  }

  if (opts.models) out.push(...(await modelChecks(loaded)));
  if (opts.models) {
    const health = await import('../../images/health.js');
    const c = await health.checkComfyUi(loaded.config, AbortSignal.timeout(5000));
    if (c) out.push({ check: 'comfyui', status: c.ok ? 'pass' : 'fail', detail: c.detail, fix: c.fix });
    const s = await health.checkImageStore(loaded.config, loaded.home);
    if (s) out.push({ check: 'images store', status: s.ok ? 'pass' : 'fail', detail: s.detail, fix: s.fix });
  }
  const tracing = await tracingCheck(loaded);
  if (tracing) out.push(tracing);
  out.push(await gpuCheck(loaded));
  return out;
}

/** Only when tracing is on; a collector that does not answer is a warning: turns go on without it. */
async function tracingCheck(loaded: LoadedConfig): Promise<CheckResult | null> {
  const { resolveTelemetry } = await import('../../telemetry/settings.js');
  const settings = resolveTelemetry(loaded.config, process.env);
  if (!settings) return null;
  const r = await (await import('../../telemetry/probe.js')).probeCollector(settings);
  if (r.ok) return { check: 'tracing', status: 'pass', detail: r.detail };
  return { check: 'tracing', status: 'warn', detail: r.detail, fix: 'start the OTLP/HTTP collector or fix telemetry.otlp.endpoint (or OTEL_EXPORTER_OTLP_ENDPOINT); turns are not affected, their spans are dropped' };
}

/** Below these, a turn (its row, WAL growth, ledger rows) may not fit: fail, then warn. */
export const DISK_FAIL_BYTES = 16 * 1024 * 1024;
export const DISK_WARN_BYTES = 256 * 1024 * 1024;

/** Free space where the data lives: a full disk fails every write later, far from its cause. */
async function diskCheck(loaded: LoadedConfig): Promise<CheckResult> {
  const { freeBytes, mountPointOf } = await import('../../util/fs-errors.js');
  const { resolveStoreTarget } = await import('../../store/open.js');
  const target = resolveStoreTarget(loaded.config.database.url, loaded.home);
  const where = target.dialect === 'sqlite' && target.file !== ':memory:' ? target.file : loaded.home;
  const free = freeBytes(where);
  const mount = mountPointOf(where);
  if (free === null) return { check: 'disk space', status: 'warn', detail: `cannot read free space on ${mount}` };
  const mib = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MiB`;
  const detail = `${mib(free)} free on ${mount}`;
  const fix = `free space on ${mount} (df -h ${mount}), or move the data dir with --home / LUNA_HOME`;
  if (free < DISK_FAIL_BYTES) return { check: 'disk space', status: 'fail', detail: `${detail} (needs at least ${mib(DISK_FAIL_BYTES)})`, fix };
  if (free < DISK_WARN_BYTES) return { check: 'disk space', status: 'warn', detail: `${detail} (low: under ${mib(DISK_WARN_BYTES)})`, fix };
  return { check: 'disk space', status: 'pass', detail };
}

/** Cost reports read the daily roll-up: it must hold exactly the ledger's calls. */
async function rollupCheck(store: Store): Promise<CheckResult> {
  const { rollupConsistent } = await import('../db/rollup.js');
  const c = await store.checkLedgerRollup();
  return rollupConsistent(c)
    ? { check: 'ledger roll-up', status: 'pass', detail: `matches the ledger (${plural(c.ledgerCalls, 'call')})` }
    : { check: 'ledger roll-up', status: 'fail', detail: `ledger ${plural(c.ledgerCalls, 'call')}, roll-up ${c.perAccountCalls} / ${c.acrossAccountsCalls}`, fix: 'run `luna db rollup --rebuild`' };
}

async function modelChecks(loaded: LoadedConfig): Promise<CheckResult[]> {
  const used = new Set(Object.values(loaded.config.agents).flatMap((a) => [a.model, ...a.fallbacks]));
  const { createModelRegistry } = await import('../../models/registry.js');
  const registry = createModelRegistry(loaded.config);
  try {
    return await Promise.all(
      [...used].map(async (name): Promise<CheckResult> => {
        try {
          const r = await registry.get(name).ping(AbortSignal.timeout(5000));
          if (r.ok) return { check: `model ${name}`, status: 'pass', detail: `${r.detail} (${Math.round(r.latencyMs)}ms)` };
          return { check: `model ${name}`, status: 'fail', detail: r.detail, fix: modelFix(name, loaded.config.models[name], r.detail, process.env) };
        } catch (err) {
          return { check: `model ${name}`, status: 'fail', detail: message(err), fix: hint(err) ?? modelFix(name, loaded.config.models[name], message(err), process.env) };
        }
      }),
    );
  } finally {
    await registry.close();
  }
}

async function gpuCheck(loaded: LoadedConfig): Promise<CheckResult> {
  try {
    const { discoverGpus } = await import('../../serve/gpu.js');
    const d = await discoverGpus(loaded.config.serve.binaries.nvidiaSmi, 5000);
    if (!d.gpus.length) return { check: 'gpus', status: loaded.config.serve.shards.some((s) => s.gpus !== 0) ? 'warn' : 'pass', detail: `none found (${d.problem ?? 'nvidia-smi not available'}); CPU inference only`, fix: loaded.config.serve.shards.length ? 'install the NVIDIA driver or set shards to gpus: 0' : undefined };
    return { check: 'gpus', status: 'pass', detail: d.gpus.map((g) => `${g.index}: ${g.name} ${g.memoryTotalMiB ?? '?'} MiB`).join('; ') };
  } catch (err) {
    return { check: 'gpus', status: 'warn', detail: message(err) };
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
function hint(err: unknown): string | undefined {
  return err instanceof LunaError ? err.hint : undefined;
}
