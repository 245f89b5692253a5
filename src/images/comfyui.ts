import { readFileSync } from 'node:fs';
import { ConfigError, ModelError, redactSecrets } from '../errors.js';

export interface ComfyUiConfig {
  url: string;
  workflow: string;
  placeholder: string;
  timeoutMs: number;
}

/**
 * Submits image prompts to ComfyUI's queue (`POST /prompt` with an API-format workflow). The workflow is read
 * once; every string equal to or containing the placeholder gets the prompt, so any node layout works.
 */
export function createComfyUiSubmitter(cfg: ComfyUiConfig): (prompt: string, meta: { storyId: string; turnId: string }, signal?: AbortSignal) => Promise<void> {
  let workflow: unknown;
  try {
    workflow = JSON.parse(readFileSync(cfg.workflow, 'utf8'));
  } catch (err) {
    throw new ConfigError(`agents.dreamer.comfyui.workflow: cannot read ${cfg.workflow}: ${(err as Error).message}`, {
      hint: 'export the workflow from ComfyUI with "Save (API Format)"',
    });
  }
  if (!JSON.stringify(workflow).includes(cfg.placeholder)) {
    throw new ConfigError(`agents.dreamer.comfyui.workflow: ${cfg.workflow} does not contain the placeholder "${cfg.placeholder}"`, {
      hint: 'put the placeholder in the positive prompt text of the workflow',
    });
  }
  const endpoint = new URL('prompt', cfg.url.endsWith('/') ? cfg.url : `${cfg.url}/`).toString();
  return async (prompt, meta, signal) => {
    const body = { prompt: fill(workflow, cfg.placeholder, prompt), client_id: `luna-${meta.storyId}`, extra_data: { luna: meta } };
    const timeout = AbortSignal.timeout(cfg.timeoutMs);
    let res: Response;
    try {
      res = await fetch(endpoint, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
    } catch (err) {
      if (signal?.aborted) throw err;
      throw new ModelError(`ComfyUI at ${cfg.url} did not answer: ${(err as Error).message}`, { retryable: true, hint: 'check agents.dreamer.comfyui.url and that ComfyUI is running' });
    }
    const text = await res.text();
    if (!res.ok) {
      // ComfyUI answers 400 with {error, node_errors} for a workflow it cannot run.
      throw new ModelError(`ComfyUI refused the prompt (HTTP ${res.status}): ${redactSecrets(text.slice(0, 300))}`, { retryable: res.status >= 500, status: res.status });
    }
  };
}

function fill(value: unknown, placeholder: string, prompt: string): unknown {
  if (typeof value === 'string') return value.includes(placeholder) ? value.split(placeholder).join(prompt) : value;
  if (Array.isArray(value)) return value.map((v) => fill(v, placeholder, prompt));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fill(v, placeholder, prompt)]));
  return value;
}
