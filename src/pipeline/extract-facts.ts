import { z } from 'zod';
import type { GenerateRequest, JsonSchema } from '../models/types.js';
import { ENTITY_KINDS, type Entity, type EntityKind, type MemoryChange } from '../store/types.js';
import { entityTerms } from './memory.js';
import { listOf, repairJson, schemaMaxChars, str } from './plan.js';

/**
 * Facts from the prose: the Dreamer reads one turn's prose and names the entities in it, their facts,
 * relations and aliases, as schema-constrained JSON (a grammar on llama.cpp/vLLM, response_format on
 * OpenAI-compatible servers) with bounded lengths, so the worst-case reply has a known size.
 * Every fact is written with its source turn; a newer value of the same key is a new row, so the older
 * one stays as history (the entity sheet shows "was: …") instead of being overwritten.
 */

export const EXTRACT_LIMITS = { name: 40, alias: 40, aliases: 3, entities: 6, key: 32, value: 100, facts: 8, relation: 32, relations: 4 } as const;

export const extractionJsonSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['entities', 'facts', 'relations'],
  properties: {
    // Story prose always names someone or something; requiring one keeps a weak model from answering "nothing".
    entities: listOf(EXTRACT_LIMITS.entities, {
      name: str(EXTRACT_LIMITS.name),
      kind: { type: 'string', enum: [...ENTITY_KINDS] },
      aliases: { type: 'array', maxItems: EXTRACT_LIMITS.aliases, items: str(EXTRACT_LIMITS.alias) },
    }, 1),
    facts: listOf(EXTRACT_LIMITS.facts, { entity: str(EXTRACT_LIMITS.name), key: str(EXTRACT_LIMITS.key), value: str(EXTRACT_LIMITS.value) }),
    relations: listOf(EXTRACT_LIMITS.relations, { from: str(EXTRACT_LIMITS.name), relation: str(EXTRACT_LIMITS.relation), to: str(EXTRACT_LIMITS.name) }),
  },
};

const clip = (n: number) => z.string().transform((s) => s.replace(/\s+/g, ' ').trim().slice(0, n));
const named = clip(EXTRACT_LIMITS.name).pipe(z.string().min(1));
/** Lenient on read: over-long strings are clipped and half entries dropped, as the plan parser does. */
export const extractionSchema = z.object({
  entities: z.array(z.unknown()).default([]).transform((xs) => pickValid(xs, z.object({
    name: named,
    kind: z.string().transform((k): EntityKind => ((ENTITY_KINDS as readonly string[]).includes(k) ? (k as EntityKind) : 'other')).catch('other'),
    aliases: z.array(z.unknown()).default([]).transform((a) => pickValid(a, named).slice(0, EXTRACT_LIMITS.aliases)),
  })).slice(0, EXTRACT_LIMITS.entities)),
  facts: z.array(z.unknown()).default([]).transform((xs) => pickValid(xs, z.object({ entity: named, key: clip(EXTRACT_LIMITS.key).pipe(z.string().min(1)), value: clip(EXTRACT_LIMITS.value).pipe(z.string().min(1)) })).slice(0, EXTRACT_LIMITS.facts)),
  relations: z.array(z.unknown()).default([]).transform((xs) => pickValid(xs, z.object({ from: named, relation: clip(EXTRACT_LIMITS.relation).pipe(z.string().min(1)), to: named })).slice(0, EXTRACT_LIMITS.relations)),
});
export type Extraction = z.infer<typeof extractionSchema>;

function pickValid<T>(xs: unknown[], schema: z.ZodType<T>): T[] {
  return xs.flatMap((x) => {
    const r = schema.safeParse(x);
    return r.success ? [r.data] : [];
  });
}

const SYSTEM = [
  'Read a passage of a story and list, as JSON, what it establishes that a reader must remember later:',
  '"entities": characters, places, items, factions named in it, with "aliases" (other names, epithets, titles used for them);',
  '"facts": lasting facts about one entity ({"entity","key","value"}, e.g. key "hidden item", "password", "location", "owns");',
  '"relations": between two entities ({"from","relation","to"}, e.g. "sister of", "owes money to").',
  'Only what the passage states. Short keys and values. JSON only.',
].join('\n');

export function extractFactsRequest(prose: string, known: string[], maxTokens: number): GenerateRequest {
  const names = known.length ? `Known names: ${known.slice(0, 40).join(', ')}\n\n` : '';
  return {
    system: SYSTEM,
    messages: [{ role: 'user', content: `${names}## Passage\n${prose.slice(0, 4000)}` }],
    maxTokens,
    temperature: 0,
    json: { name: 'story_facts', schema: extractionJsonSchema },
  };
}

/** Output tokens the worst-case reply needs at the given characters per token (as planMaxTokens). */
export function extractionMaxTokens(charsPerToken = 3.5): number {
  return Math.ceil((schemaMaxChars(extractionJsonSchema) * 1.1) / charsPerToken) + 16;
}

export function parseExtraction(text: string): Extraction | null {
  for (const candidate of [text, repairJson(text)]) {
    if (candidate === null) continue;
    try {
      const r = extractionSchema.safeParse(JSON.parse(candidate));
      if (r.success) return r.data;
    } catch {
      // try the repaired text next
    }
  }
  return null;
}

/** Extraction → changes. A relation is a fact of its `from` entity keyed by the relation; its `to` is an entity too. */
export function extractionChanges(x: Extraction, known: Entity[]): MemoryChange[] {
  const out: MemoryChange[] = [];
  const seen = new Set<string>();
  // A name the story already knows (by name, alias, or a unique part such as a first name) keeps its canonical form.
  const resolve = (name: string): Entity | undefined => {
    const k = name.toLowerCase();
    const exact = known.find((e) => e.name.toLowerCase() === k || e.aliases.some((a) => a.toLowerCase() === k));
    if (exact) return exact;
    const partial = known.filter((e) => entityTerms(e).some((t) => t.toLowerCase() === k));
    return partial.length === 1 ? partial[0] : undefined;
  };
  const entity = (name: string, kind: EntityKind = 'other', aliases: string[] = []): string => {
    const existing = resolve(name);
    const canonical = existing?.name ?? name;
    const key = canonical.toLowerCase();
    const fresh = aliases.filter((a) => a.toLowerCase() !== key && !existing?.aliases.some((b) => b.toLowerCase() === a.toLowerCase()));
    if (seen.has(key) && !fresh.length) return canonical;
    seen.add(key);
    if (!existing || fresh.length) out.push({ op: 'entity', name: canonical, kind: existing?.kind ?? kind, aliases: fresh });
    return canonical;
  };
  for (const e of x.entities) entity(e.name, e.kind, e.aliases);
  for (const f of x.facts) out.push({ op: 'fact', entity: entity(f.entity), key: f.key, value: f.value });
  for (const r of x.relations) {
    const to = entity(r.to);
    out.push({ op: 'fact', entity: entity(r.from), key: r.relation, value: to });
  }
  return out;
}

/**
 * THE write path of extracted memory: every change lands in one transaction tied to its source turn.
 * (When the Dreamer's shared write path, writeDreamerMemory with review/origin, exists, this is the one call to point at it.)
 */
