import { z } from 'zod';
import type { JsonSchema } from '../models/types.js';

/** The Strategist's beat plan. Small on purpose: every field costs output tokens on every turn. */
export const beatPlanSchema = z.object({
  intent: z.string().min(1).max(400),
  tone: z.string().max(80).default('neutral'),
  beats: z.array(z.string().min(1).max(300)).min(1).max(6),
  entities: z
    .array(z.object({ name: z.string().min(1).max(60), kind: z.enum(['character', 'place', 'item', 'faction', 'other']).default('other') }))
    .max(8)
    .default([]),
  factChanges: z
    .array(z.object({ entity: z.string().min(1).max(60), key: z.string().min(1).max(40), value: z.string().min(1).max(200) }))
    .max(6)
    .default([]),
});
export type BeatPlan = z.infer<typeof beatPlanSchema>;

/**
 * Hand-written JSON Schema mirror of beatPlanSchema: providers (OpenAI strict mode, Anthropic tools,
 * llama.cpp grammars) each accept a slightly different subset, and this one is inside all of them.
 */
export const beatPlanJsonSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['intent', 'tone', 'beats', 'entities', 'factChanges'],
  properties: {
    intent: { type: 'string' },
    tone: { type: 'string' },
    beats: { type: 'array', items: { type: 'string' }, minItems: 1, maxItems: 4 },
    entities: {
      type: 'array',
      maxItems: 6,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'kind'],
        properties: { name: { type: 'string' }, kind: { type: 'string', enum: ['character', 'place', 'item', 'faction', 'other'] } },
      },
    },
    factChanges: {
      type: 'array',
      maxItems: 4,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['entity', 'key', 'value'],
        properties: { entity: { type: 'string' }, key: { type: 'string' }, value: { type: 'string' } },
      },
    },
  },
};

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

/** Over-long strings and lists are trimmed rather than rejected: a verbose model should not fail a turn. */
function clipStrings(data: unknown): unknown {
  if (!data || typeof data !== 'object' || Array.isArray(data)) return data;
  const d = { ...(data as Record<string, unknown>) };
  const clip = (v: unknown, n: number) => (typeof v === 'string' ? v.slice(0, n).trim() : v);
  d.intent = clip(d.intent, 400);
  d.tone = clip(d.tone, 80);
  if (Array.isArray(d.beats)) d.beats = d.beats.filter((b) => typeof b !== 'string' || b.trim()).slice(0, 6).map((b) => clip(b, 300));
  if (Array.isArray(d.entities)) {
    d.entities = d.entities
      .slice(0, 8)
      .map((e) => (e && typeof e === 'object' ? { ...e, name: clip((e as { name?: unknown }).name, 60) } : e))
      .filter((e) => !(e && typeof e === 'object' && (e as { name?: unknown }).name === ''));
  }
  if (Array.isArray(d.factChanges)) {
    d.factChanges = d.factChanges
      .slice(0, 6)
      .map((f) => (f && typeof f === 'object' ? { ...f, entity: clip((f as { entity?: unknown }).entity, 60), key: clip((f as { key?: unknown }).key, 40), value: clip((f as { value?: unknown }).value, 200) } : f))
      .filter((f) => !(f && typeof f === 'object' && Object.values(f).some((v) => v === '')));
  }
  return d;
}

export function repairJson(text: string): string | null {
  let t = text.trim().replace(/^```(?:json)?\s*/i, '').replace(/```\s*$/, '');
  const start = t.indexOf('{');
  if (start < 0) return null;
  t = t.slice(start);
  const end = t.lastIndexOf('}');
  if (end >= 0 && balanced(t.slice(0, end + 1))) t = t.slice(0, end + 1);
  t = t.replace(/,\s*([}\]])/g, '$1');
  return closeOpen(t);
}

function balanced(s: string): boolean {
  return closeOpen(s) === s;
}

/** Closes unterminated strings, arrays and objects left by a truncated generation. */
function closeOpen(s: string): string {
  const stack: string[] = [];
  let inStr = false;
  let esc = false;
  for (const ch of s) {
    if (inStr) {
      if (esc) esc = false;
      else if (ch === '\\') esc = true;
      else if (ch === '"') inStr = false;
      continue;
    }
    if (ch === '"') inStr = true;
    else if (ch === '{') stack.push('}');
    else if (ch === '[') stack.push(']');
    else if (ch === '}' || ch === ']') stack.pop();
  }
  let out = s;
  if (inStr) out += '"';
  out = out.replace(/,\s*$/, '');
  while (stack.length) out += stack.pop();
  return out.replace(/,\s*([}\]])/g, '$1');
}
