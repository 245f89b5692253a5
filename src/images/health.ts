import type { LunaConfig } from '../config/schema.js';
import { LunaError } from '../errors.js';
import { createComfyUiClient } from './comfyui.js';

export interface ComfyCheck {
  ok: boolean;
  detail: string;
  fix?: string;
}

/**
 * `luna doctor`: the workflow loads and has its placeholder, and the server answers GET /system_stats
 * (ComfyUI's own health view: version and devices). Null when no ComfyUI is configured.
 */
export async function checkComfyUi(config: LunaConfig, signal: AbortSignal): Promise<ComfyCheck | null> {
  const cfg = config.agents.dreamer.comfyui;
  if (!cfg) return null;
  try {
    createComfyUiClient(cfg);
  } catch (err) {
    return { ok: false, detail: (err as Error).message, fix: err instanceof LunaError ? err.hint : undefined };
  }
  try {
    const res = await fetch(new URL('system_stats', cfg.url.endsWith('/') ? cfg.url : `${cfg.url}/`), { signal });
    if (!res.ok) return { ok: false, detail: `${cfg.url}/system_stats answered HTTP ${res.status}`, fix: 'is agents.dreamer.comfyui.url a ComfyUI server?' };
    const body = (await res.json()) as { system?: { comfyui_version?: string }; devices?: { name?: string }[] };
    const version = body.system?.comfyui_version ? `ComfyUI ${body.system.comfyui_version}` : 'ComfyUI';
    const devices = (body.devices ?? []).map((d) => d.name).filter(Boolean).join('; ');
    return { ok: true, detail: `${version} at ${cfg.url}${devices ? `, ${devices}` : ''}` };
  } catch (err) {
    return { ok: false, detail: `${cfg.url} did not answer: ${(err as Error).message}`, fix: 'start ComfyUI, or fix agents.dreamer.comfyui.url' };
  }
}

/**
 * `luna doctor` with an imagesStore: writes, reads back and deletes one small probe object, so a missing bucket,
 * a refusing policy, wrong credentials or a dead endpoint show up before a rendered picture has nowhere to go.
 */
export async function checkImageStore(config: LunaConfig, home: string): Promise<ComfyCheck | null> {
  const cfg = config.agents.dreamer.comfyui;
  if (!cfg?.imagesStore) return null;
  const { openImageStore } = await import('./store.js');
  const store = openImageStore(cfg, home);
  try {
    const probe = Buffer.from(`luna doctor ${new Date().toISOString()}\n`);
    const location = await store.put('.luna-doctor-probe', probe, 'text/plain');
    const back = await store.get(location);
    await store.remove([location]);
    if (!back?.equals(probe)) return { ok: false, detail: `${store.describe()}: the probe object read back differently`, fix: 'check the endpoint is an S3-compatible service (agents.dreamer.comfyui.imagesStore.endpoint)' };
    return { ok: true, detail: `${store.describe()}: writes, reads and deletes` };
  } catch (err) {
    return { ok: false, detail: (err as Error).message, fix: err instanceof LunaError ? err.hint : undefined };
  }
}
