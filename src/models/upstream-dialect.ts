/**
 * Where "OpenAI-compatible" services part ways with the OpenAI API LUNA was written against: OpenAI's own
 * reasoning models refuse parameters every other model takes, and Gemini's compatibility layer refuses
 * JSON-schema keywords its schema type has no field for. Each rule names its source.
 */
import type { OpenAIModelConfig } from '../config/schema.js';
import type { JsonSchema } from './types.js';

/**
 * o1/o3/o4 and gpt-5 families (https://platform.openai.com/docs/guides/reasoning) answer 400
 * unsupported_parameter to `max_tokens` ("Use 'max_completion_tokens' instead") and to `stop`, and
 * unsupported_value to any temperature but 1 (griptape-ai/ComfyUI-Griptape#312, crewAIInc/crewAI#2738).
 */
const OPENAI_REASONING = /^(openai\/)?(o1|o3|o4|gpt-5)([-.]|$)/;

export function isReasoningModel(cfg: Pick<OpenAIModelConfig, 'model' | 'reasoningModel'>): boolean {
  return cfg.reasoningModel ?? OPENAI_REASONING.test(cfg.model);
}

/** Gemini through https://generativelanguage.googleapis.com/v1beta/openai/ (or a proxy that keeps its model ids). */
export function isGemini(cfg: Pick<OpenAIModelConfig, 'model' | 'baseUrl'>): boolean {
  try {
    if (new URL(cfg.baseUrl).hostname === 'generativelanguage.googleapis.com') return true;
  } catch { /* not a URL: decide by the model id */ }
  return /^(models\/|google\/)?gemini-/.test(cfg.model);
}

/**
 * reasoning_effort as Gemini reads it (https://ai.google.dev/gemini-api/docs/openai#thinking): low/medium/high
 * map to thinking budgets, "none" turns thinking off; 2.5 Pro cannot turn it off
 * (https://ai.google.dev/gemini-api/docs/thinking), so it gets the smallest budget instead of a 400.
 */
export function reasoningEffortFor(cfg: Pick<OpenAIModelConfig, 'model' | 'baseUrl' | 'reasoningEffort'>): string | undefined {
  const effort = cfg.reasoningEffort;
  if (effort === 'none' && isGemini(cfg) && /^(models\/|google\/)?gemini-2\.5-pro/.test(cfg.model)) return 'low';
  return effort;
}

/**
 * Keywords Gemini's response_schema has no field for ("Unknown name … Cannot find field"): $schema
 * (QuantumNous/new-api#1037), additionalProperties and propertyNames (openswarm-ai/openswarm#24), const
 * (zed-industries/zed#44875), title (simonw/llm-gemini#49), and the other JSON-Schema-only keywords.
 * Gemini's schema is the OpenAPI 3.0 subset (https://ai.google.dev/api/caching#Schema): `nullable`
 * instead of a "null" type, `enum` for fixed strings.
 */
const GEMINI_DROP = new Set(['$schema', '$id', '$comment', 'additionalProperties', 'propertyNames', 'patternProperties', 'title', 'examples', 'default', 'unevaluatedProperties', 'dependentRequired', 'if', 'then', 'else', 'not']);

export function geminiSchema(schema: JsonSchema): JsonSchema {
  return clean(schema) as JsonSchema;
}

function isNullType(s: unknown): boolean {
  return Boolean(s && typeof s === 'object' && (s as Record<string, unknown>).type === 'null');
}

function clean(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(clean);
  if (!node || typeof node !== 'object') return node;
  const src = node as Record<string, unknown>;
  let out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(src)) {
    if (GEMINI_DROP.has(k)) continue;
    if (k === 'properties' && v && typeof v === 'object') {
      out.properties = Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([p, s]) => [p, clean(s)]));
    } else if (k === 'items' || k === 'anyOf') out[k] = clean(v);
    else if (k !== 'const' && k !== 'type') out[k] = v;
  }
  if ('const' in src) {
    const c = src.const;
    if (typeof c === 'string') { out.type = 'string'; out.enum = [c]; } else if (typeof c === 'number') out.type = Number.isInteger(c) ? 'integer' : 'number';
    else if (typeof c === 'boolean') out.type = 'boolean';
  }
  if (Array.isArray(src.type)) {
    const types = src.type.filter((t) => t !== 'null');
    if (types.length < src.type.length) out.nullable = true;
    if (types.length === 1) out.type = types[0];
    else if (types.length > 1) out.anyOf = types.map((t) => ({ type: t }));
  } else if (src.type !== undefined && !('const' in src)) out.type = src.type;
  if (Array.isArray(out.anyOf)) {
    const branches = out.anyOf as unknown[];
    const rest = branches.filter((b) => !isNullType(b));
    if (rest.length < branches.length) out.nullable = true;
    if (rest.length === 1) {
      const { anyOf: _drop, ...others } = out;
      out = { ...(rest[0] as Record<string, unknown>), ...others };
    } else out.anyOf = rest;
  }
  return out;
}

/**
 * Ends a reply at a stop sequence on our side, for models that refuse `stop`. Text that might be the start of
 * a stop sequence is held back until the next delta shows whether it is.
 */
export class StopCutter {
  private held = '';
  private readonly keep: number;
  stopped = false;
  constructor(private readonly stops: string[]) {
    this.keep = Math.max(0, ...stops.map((s) => s.length - 1));
  }

  /** The text safe to show now. */
  push(delta: string): string {
    if (this.stopped) return '';
    this.held += delta;
    let at = -1;
    for (const s of this.stops) {
      const i = this.held.indexOf(s);
      if (i >= 0 && (at < 0 || i < at)) at = i;
    }
    if (at >= 0) {
      this.stopped = true;
      const out = this.held.slice(0, at);
      this.held = '';
      return out;
    }
    const cut = Math.max(0, this.held.length - this.keep);
    const out = this.held.slice(0, cut);
    this.held = this.held.slice(cut);
    return out;
  }

  flush(): string {
    const out = this.stopped ? '' : this.held;
    this.held = '';
    return out;
  }
}
