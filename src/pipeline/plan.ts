import { z } from 'zod';
import type { JsonSchema } from '../models/types.js';
import { ENTITY_KINDS } from '../store/types.js';

/** The Strategist's beat plan. Small on purpose: every field costs output tokens on every turn. */
export const beatPlanSchema = z.object({
  intent: z.string().min(1).max(400),
  tone: z.string().max(80).default('neutral'),
  beats: z.array(z.string().min(1).max(300)).min(1).max(6),
  entities: z
    .array(z.object({ name: z.string().min(1).max(60), kind: z.enum(ENTITY_KINDS).default('other') }))
    .max(8)
    .default([]),
  factChanges: z
    .array(z.object({ entity: z.string().min(1).max(60), key: z.string().min(1).max(40), value: z.string().min(1).max(200) }))
    .max(6)
    .default([]),
});
export type BeatPlan = z.infer<typeof beatPlanSchema>;

/**
 * Length bounds of the plan the models are asked for. A grammar-constrained server (llama.cpp, vLLM) has
 * to close the JSON within these, so the worst-case plan has a known size and maxTokens can be sized from
 * it (planMaxChars): without them a small model rambles inside one string until maxTokens cuts the JSON.
 */
export const PLAN_LIMITS = {
  intent: 160,
  tone: 24,
  beat: 140,
  beats: 4,
  entityName: 40,
  entities: 6,
  factEntity: 40,
  factKey: 32,
  factValue: 100,
  factChanges: 4,
} as const;

/** A bounded JSON-schema string: bounds are what let a grammar force the JSON to close (issue 18). */
export const str = (maxLength: number) => ({ type: 'string', minLength: 1, maxLength });

/** A bounded array of objects with exactly these properties, every one required (the strict-mode subset). */
export const listOf = (maxItems: number, properties: Record<string, JsonSchema>, minItems?: number): JsonSchema => ({
  type: 'array',
  ...(minItems === undefined ? {} : { minItems }),
  maxItems,
  items: { type: 'object', additionalProperties: false, required: Object.keys(properties), properties },
});

/**
 * Hand-written JSON Schema mirror of beatPlanSchema: providers (OpenAI strict mode, Anthropic tools,
 * llama.cpp grammars) each accept a slightly different subset, and this one is inside all of them.
 */
export const beatPlanJsonSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['intent', 'tone', 'beats', 'entities', 'factChanges'],
  properties: {
    intent: str(PLAN_LIMITS.intent),
    tone: str(PLAN_LIMITS.tone),
    beats: { type: 'array', items: str(PLAN_LIMITS.beat), minItems: 1, maxItems: PLAN_LIMITS.beats },
    entities: listOf(PLAN_LIMITS.entities, { name: str(PLAN_LIMITS.entityName), kind: { type: 'string', enum: [...ENTITY_KINDS] } }),
    factChanges: listOf(PLAN_LIMITS.factChanges, { entity: str(PLAN_LIMITS.factEntity), key: str(PLAN_LIMITS.factKey), value: str(PLAN_LIMITS.factValue) }),
  },
};

/**
 * The longest JSON text a schema allows (compact, one separator space per member), in characters: what a
 * grammar-constrained reply can take at most. Unbounded parts count as `unbounded` characters each.
 */
export function schemaMaxChars(schema: JsonSchema, unbounded = 200): number {
  const s = schema as { type?: string; enum?: unknown[]; maxLength?: number; maxItems?: number; items?: JsonSchema; properties?: Record<string, JsonSchema> };
  if (Array.isArray(s.enum)) return Math.max(...s.enum.map((v) => JSON.stringify(v).length));
  switch (s.type) {
    case 'string':
      return (s.maxLength ?? unbounded) + 2;
    case 'array': {
      const n = s.maxItems ?? 8;
      const item = s.items ? schemaMaxChars(s.items, unbounded) : unbounded;
      return 2 + n * (item + 2);
    }
    case 'object': {
      const props = Object.entries(s.properties ?? {});
      return 2 + props.reduce((n, [k, v]) => n + k.length + 4 + schemaMaxChars(v, unbounded) + 2, 0);
    }
    case 'number':
    case 'integer':
      return 24;
    case 'boolean':
      return 5;
    default:
      return unbounded;
  }
}

/**
 * Output tokens a plan may need: its worst-case size at the model's characters per token (measured with its
 * tokenizer where one is at hand), plus room for the whitespace a grammar allows between members.
 */
export function planMaxTokens(charsPerToken: number): number {
  const chars = schemaMaxChars(beatPlanJsonSchema);
  return Math.ceil((chars * 1.1) / Math.max(1, charsPerToken)) + 16;
}

export type PlanParse = { ok: true; plan: BeatPlan; repaired: boolean } | { ok: false; error: string };

/**
 * Parses model output into a plan, repairing the common breakages once: fences, prose around the JSON,
 * trailing commas, truncation. With `fallbackBeat`, a plan whose beats are all blank gets that one beat
 * instead of failing (the last resort after a retry: the player's action is still a beat to write).
 */
export function parsePlan(text: string, opts: { fallbackBeat?: string } = {}): PlanParse {
  const direct = tryParse(text, opts.fallbackBeat);
  if (direct.ok) return { ok: true, plan: direct.plan, repaired: direct.filled };
  const repaired = repairJson(text);
  if (repaired !== null) {
    const again = tryParse(repaired, opts.fallbackBeat);
    if (again.ok) return { ok: true, plan: again.plan, repaired: true };
    return { ok: false, error: again.error };
  }
  return { ok: false, error: direct.error };
}

function tryParse(text: string, fallbackBeat?: string): { ok: true; plan: BeatPlan; filled: boolean } | { ok: false; error: string } {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    return { ok: false, error: `not JSON: ${(err as Error).message}` };
  }
  const clipped = clipStrings(data) as Record<string, unknown>;
  const filled = fallbackBeat !== undefined && fallbackBeat.trim() !== '' && Array.isArray(clipped?.beats) && clipped.beats.length === 0;
  if (filled) clipped.beats = [fallbackBeat.trim().slice(0, 300)];
  const res = beatPlanSchema.safeParse(clipped);
  if (!res.success) {
    const first = res.error.issues[0];
    return { ok: false, error: `plan does not match schema at ${first?.path.join('.') || '(root)'}: ${first?.message}` };
  }
  return { ok: true, plan: res.data, filled };
}

const KIND_SET: ReadonlySet<string> = new Set(ENTITY_KINDS);

/** Over-long strings and lists are trimmed rather than rejected: a verbose model should not fail a turn. */
function clipStrings(data: unknown): unknown {
  if (!data || typeof data !== 'object' || Array.isArray(data)) return data;
  const d = { ...(data as Record<string, unknown>) };
  const clip = (v: unknown, n: number) => (typeof v === 'string' ? v.slice(0, n).trim() : v);
  d.intent = clip(d.intent, 400);
  d.tone = clip(d.tone, 80);
  if (Array.isArray(d.beats)) d.beats = d.beats.filter((b) => typeof b !== 'string' || b.trim()).slice(0, 6).map((b) => clip(b, 300));
  // A cut or careless model leaves half entries: drop those, keep the plan.
  const isStr = (v: unknown): v is string => typeof v === 'string' && v.trim() !== '';
  if (Array.isArray(d.entities)) {
    d.entities = d.entities
      .filter((e): e is { name: string; kind?: unknown } => Boolean(e) && typeof e === 'object' && isStr((e as { name?: unknown }).name))
      .slice(0, 8)
      .map((e) => ({ name: clip(e.name, 60), kind: KIND_SET.has(e.kind as string) ? e.kind : 'other' }));
  }
  if (Array.isArray(d.factChanges)) {
    d.factChanges = d.factChanges
      .filter((f): f is Record<'entity' | 'key' | 'value', string> => Boolean(f) && typeof f === 'object' && ['entity', 'key', 'value'].every((k) => isStr((f as Record<string, unknown>)[k])))
      .slice(0, 6)
      .map((f) => ({ entity: clip(f.entity, 60), key: clip(f.key, 40), value: clip(f.value, 200) }));
  }
  return d;
}

/**
 * Repairs the usual breakages once: code fences, prose around the JSON, trailing commas, and truncation
 * anywhere (a cut key, a dangling colon, a half string or escape, a half literal), by cutting back to the
 * last complete member and closing what is open. Returns null when there is no object to repair.
 */
export function repairJson(text: string): string | null {
  let t = text.trim().replace(/^```(?:json)?\s*/i, '').replace(/```\s*$/, '');
  const start = t.indexOf('{');
  if (start < 0) return null;
  t = t.slice(start);
  const end = completeEnd(t);
  return end !== null ? t.slice(0, end).replace(/,(\s*[}\]])/g, '$1') : closeTruncated(t);
}

/** The index just past the first complete top-level object, or null when the text ends inside it. */
function completeEnd(s: string): number | null {
  let depth = 0;
  let inStr = false;
  let esc = false;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (inStr) {
      if (esc) esc = false;
      else if (ch === '\\') esc = true;
      else if (ch === '"') inStr = false;
      continue;
    }
    if (ch === '"') inStr = true;
    else if (ch === '{' || ch === '[') depth++;
    else if ((ch === '}' || ch === ']') && --depth === 0) return i + 1;
  }
  return null;
}

interface Frame {
  close: '}' | ']';
  /** Where the member being read began (before its comma): cutting there drops only that member. */
  memberStart: number;
  /** Object: 'key' | 'colon' | 'value' | 'after'; array: 'value' | 'after'. */
  state: 'key' | 'colon' | 'value' | 'after';
}

/** Closes a truncated JSON text: an unfinished member is dropped (a half string value is kept, closed). */
function closeTruncated(s: string): string {
  const stack: Frame[] = [];
  let i = 0;
  let strStart = -1;
  let strIsKey = false;
  let esc = false;
  let atomStart = -1;
  const top = () => stack[stack.length - 1];
  const valueDone = () => {
    const f = top();
    if (f) f.state = 'after';
  };
  for (; i < s.length; i++) {
    const ch = s[i]!;
    if (strStart >= 0) {
      if (esc) esc = false;
      else if (ch === '\\') esc = true;
      else if (ch === '"') {
        strStart = -1;
        const f = top();
        if (f && strIsKey) f.state = 'colon';
        else valueDone();
      }
      continue;
    }
    if (atomStart >= 0 && /[\s,}\]]/.test(ch)) {
      atomStart = -1;
      valueDone();
    }
    const f = top();
    if (ch === '"') {
      strStart = i;
      strIsKey = f?.close === '}' && f.state === 'key';
      esc = false;
    } else if (ch === '{' || ch === '[') {
      stack.push({ close: ch === '{' ? '}' : ']', memberStart: i + 1, state: ch === '{' ? 'key' : 'value' });
    } else if (ch === '}' || ch === ']') {
      stack.pop();
      if (!stack.length) return s.slice(0, i + 1);
      valueDone();
    } else if (ch === ':' && f?.state === 'colon') {
      f.state = 'value';
    } else if (ch === ',' && f) {
      f.memberStart = i;
      f.state = f.close === '}' ? 'key' : 'value';
    } else if (!/\s/.test(ch) && atomStart < 0 && f && f.state === 'value') {
      atomStart = i;
    }
  }
  let out = s;
  const f = top();
  if (f) {
    if (strStart >= 0 && !strIsKey) {
      // A half string value is still worth having: drop a dangling escape and close it.
      out = out.replace(/\\(u[0-9a-fA-F]{0,3})?$/, '') + '"';
    } else if (strStart >= 0 || atomStart >= 0 || (f.close === '}' && (f.state === 'colon' || f.state === 'value'))) {
      const literal = atomStart >= 0 ? out.slice(atomStart).trim() : '';
      if (!(atomStart >= 0 && /^(true|false|null|-?\d+(\.\d+)?([eE][+-]?\d+)?)$/.test(literal))) out = out.slice(0, f.memberStart);
    }
  }
  out = out.replace(/[\s,]*$/, '');
  for (let k = stack.length - 1; k >= 0; k--) out += stack[k]!.close;
  return out.replace(/,(\s*[}\]])/g, '$1');
}
