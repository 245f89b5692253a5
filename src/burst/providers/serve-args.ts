import type { LaunchSpec } from '../types.js';

/**
 * What the instance's `vllm serve` gets after the image (the vllm/vllm-openai image's entrypoint is
 * `vllm serve`). The model is positional: `--model` draws "With `vllm serve`, you should provide the model as
 * a positional argument … The `--model` option will be removed in a future version" (vllm/utils/argparse_utils.py).
 */
export function vllmArgs(spec: Pick<LaunchSpec, 'model' | 'port'>): string[] {
  return [spec.model, '--served-model-name', spec.model, '--port', String(spec.port)];
}

/**
 * The container's environment: the per-instance key vLLM enforces, and HF_TOKEN for gated models
 * (huggingface_hub reads it: https://huggingface.co/docs/huggingface_hub/package_reference/environment_variables).
 */
export function instanceEnv(spec: Pick<LaunchSpec, 'apiKey' | 'hfToken'>): Record<string, string> {
  return { VLLM_API_KEY: spec.apiKey, ...(spec.hfToken ? { HF_TOKEN: spec.hfToken } : {}) };
}
