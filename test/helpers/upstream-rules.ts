/**
 * What the real OpenAI and Gemini chat endpoints refuse, so the loopback server refuses it too. Each rule
 * names where it comes from; the error bodies are the ones those services send.
 */
import type { ScriptedReply } from './openai-server.js';

export type Upstream = 'openai' | 'gemini';

type Refusal = Extract<ScriptedReply, { kind: 'error' }> | { kind: 'gemini-error'; status: number; message: string };

/** o1/o3/o4 and gpt-5 families: OpenAI's reasoning models (https://platform.openai.com/docs/guides/reasoning). */
export const OPENAI_REASONING = /^(openai\/)?(o1|o3|o4|gpt-5)([-.]|$)/;

/**
 * OpenAI answers these with 400 invalid_request_error, `param` naming the field. Seen verbatim in
 * griptape-ai/ComfyUI-Griptape#312 (gpt-5, max_tokens), crewAIInc/crewAI#2738 (o3, stop),
 * langgenius/dify#18971 (o4-mini, stop); temperature is refused with code unsupported_value
 * ("Only the default (1) value is supported", https://platform.openai.com/docs/guides/reasoning).
 */
function openaiRefusal(body: any): Refusal | null {
  const model = String(body?.model ?? '');
  if (!OPENAI_REASONING.test(model)) {
    if (body?.reasoning_effort !== undefined) return unsupported('reasoning_effort');
    return null;
  }
  if (body?.max_tokens !== undefined) {
    return { kind: 'error', status: 400, type: 'invalid_request_error', param: 'max_tokens', code: 'unsupported_parameter', message: "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead." };
  }
  if (body?.stop !== undefined) return unsupported('stop');
  if (body?.temperature !== undefined && body.temperature !== 1) {
    return { kind: 'error', status: 400, type: 'invalid_request_error', param: 'temperature', code: 'unsupported_value', message: `Unsupported value: 'temperature' does not support ${body.temperature} with this model. Only the default (1) value is supported.` };
  }
  const effort = body?.reasoning_effort;
  if (effort !== undefined && !['minimal', 'low', 'medium', 'high', 'none'].includes(effort)) {
    return { kind: 'error', status: 400, type: 'invalid_request_error', param: 'reasoning_effort', code: 'unsupported_value', message: `Unsupported value: 'reasoning_effort' does not support '${effort}' with this model.` };
  }
  return null;
}

function unsupported(param: string): Refusal {
  return { kind: 'error', status: 400, type: 'invalid_request_error', param, code: 'unsupported_parameter', message: `Unsupported parameter: '${param}' is not supported with this model.` };
}

/**
 * Keywords Gemini's schema type has no field for: its OpenAI-compatible endpoint turns response_format into
 * generation_config.response_schema and refuses them with "Unknown name … Cannot find field."
 * ($schema: QuantumNous/new-api#1037; additionalProperties, propertyNames: openswarm-ai/openswarm#24;
 * const: zed-industries/zed#44875; title and type "null": simonw/llm-gemini#49).
 */
export const GEMINI_UNKNOWN_KEYWORDS = ['$schema', '$id', 'additionalProperties', 'propertyNames', 'patternProperties', 'const', 'title', 'examples', 'default', 'unevaluatedProperties', 'dependentRequired', 'if', 'then', 'else', 'not'];

function geminiSchemaFaults(node: unknown, at: string, out: string[]): void {
  if (Array.isArray(node)) { node.forEach((n, i) => geminiSchemaFaults(n, `${at}[${i}]`, out)); return; }
  if (!node || typeof node !== 'object') return;
  const o = node as Record<string, unknown>;
  for (const k of GEMINI_UNKNOWN_KEYWORDS) if (k in o) out.push(`Invalid JSON payload received. Unknown name "${k}" at '${at}': Cannot find field.`);
  if (Array.isArray(o.type) || o.type === 'null') out.push(`Invalid value at '${at}.type' (type.googleapis.com/google.ai.generativelanguage.v1beta.Type), ${JSON.stringify(o.type)}`);
  if (o.properties && typeof o.properties === 'object') {
    Object.entries(o.properties as Record<string, unknown>).forEach(([_, v], i) => geminiSchemaFaults(v, `${at}.properties[${i}].value`, out));
  }
  if (o.items) geminiSchemaFaults(o.items, `${at}.items`, out);
  if (Array.isArray(o.anyOf)) o.anyOf.forEach((v, i) => geminiSchemaFaults(v, `${at}.any_of[${i}]`, out));
}

/**
 * Gemini's OpenAI-compatible endpoint (https://ai.google.dev/gemini-api/docs/openai): reasoning_effort maps to a
 * thinking budget (low/medium/high; "none" turns thinking off) and 2.5 Pro cannot turn thinking off
 * (https://ai.google.dev/gemini-api/docs/thinking: "Cannot disable thinking" for 2.5 Pro). Errors come as a
 * one-element array of Google's error object, as in MinLL/SkyrimNet-GamePlugin#77.
 */
function geminiRefusal(body: any): Refusal | null {
  const model = String(body?.model ?? '').replace(/^models\//, '');
  const effort = body?.reasoning_effort;
  if (effort !== undefined) {
    if (!['minimal', 'low', 'medium', 'high', 'none'].includes(effort)) return { kind: 'gemini-error', status: 400, message: `Invalid reasoning effort: ${effort}` };
    if (effort === 'none' && /^gemini-2\.5-pro/.test(model)) return { kind: 'gemini-error', status: 400, message: 'Budget 0 is invalid. This model only works in thinking mode.' };
  }
  const rf = body?.response_format;
  if (rf?.type === 'json_schema') {
    const faults: string[] = [];
    geminiSchemaFaults(rf.json_schema?.schema, 'generation_config.response_schema', faults);
    if (faults.length) return { kind: 'gemini-error', status: 400, message: faults.join('\n') };
  }
  return null;
}

export function upstreamRefusal(upstream: Upstream, body: any): Refusal | null {
  return upstream === 'gemini' ? geminiRefusal(body) : openaiRefusal(body);
}

export function geminiErrorBody(status: number, message: string): unknown {
  return [{ error: { code: status, message, status: 'INVALID_ARGUMENT' } }];
}
