import type { Entity, EntityKind, NewEntity, NewFact } from '../store/types.js';
import type { EntityUpdate } from './events.js';
import { entityTerms, namedIn } from './memory.js';
import type { BeatPlan } from './plan.js';

/**
 * Entity resolution without a second LLM pass: the Strategist's plan already names who appears and which
 * facts change, so resolution is matching those (and the prose) against known names and aliases.
 * This costs no tokens; bench/pipeline.ts measures its time.
 */
export interface Resolution {
  updates: EntityUpdate[];
  entities: NewEntity[];
  facts: NewFact[];
}

export function resolveEntities(plan: BeatPlan, prose: string, known: Entity[], visible: (e: Entity) => boolean): Resolution {
  const lowerProse = prose.toLowerCase();
  const byTerm = new Map<string, Entity>();
  for (const e of known) if (visible(e)) for (const t of entityTerms(e)) if (!byTerm.has(t.toLowerCase())) byTerm.set(t.toLowerCase(), e);
  const find = (name: string) => byTerm.get(name.trim().toLowerCase());

  const updates = new Map<string, EntityUpdate>();
  const entities = new Map<string, NewEntity>();
  const ensure = (name: string, kind: EntityKind): EntityUpdate => {
    const existing = find(name);
    const key = (existing?.name ?? name.trim()).toLowerCase();
    let u = updates.get(key);
    if (!u) {
      u = { name: existing?.name ?? name.trim(), kind: existing?.kind ?? kind, status: existing ? 'appeared' : 'new', facts: [] };
      updates.set(key, u);
      entities.set(key, existing ? { id: existing.id, name: existing.name, kind: existing.kind } : { name: name.trim(), kind });
    }
    return u;
  };

  for (const e of namedIn(known, visible, lowerProse).keys()) ensure(e.name, e.kind);
  for (const e of plan.entities) if (isName(e.name)) ensure(e.name, e.kind);
  const facts: NewFact[] = [];
  for (const f of plan.factChanges) {
    if (!isName(f.entity)) continue;
    const u = ensure(f.entity, 'other');
    u.facts.push({ key: f.key.trim(), value: f.value.trim() });
    facts.push({ entityName: u.name, key: f.key.trim(), value: f.value.trim() });
  }
  return { updates: [...updates.values()], entities: [...entities.values()], facts };
}

/** Rejects empty or sentence-like "names" a weak model may put in the entity list. */
function isName(s: string): boolean {
  const t = s.trim();
  return t.length >= 2 && t.length <= 60 && t.split(/\s+/).length <= 5 && /\p{L}/u.test(t);
}
