import { NotFoundError } from '../errors.js';
import { newId } from './ids.js';
import type { EntityKind, NewEntity, NewFact } from './types.js';

/** The mutable part of an entity, as both stores read and write it. */
export interface EntityRecord {
  id: string;
  name: string;
  kind: EntityKind;
  aliases: string[];
  description: string;
}

export interface EntityPlan {
  inserts: EntityRecord[];
  updates: EntityRecord[];
  /** Existing entities the write named (changed or not). */
  matched: string[];
  facts: { entityId: string; key: string; value: string; removed: boolean; origin?: NewFact['origin'] }[];
}

/**
 * Dialect-free merge rules, shared by every Store so entity behaviour cannot drift between SQLite and PostgreSQL:
 * an incoming entity matches an existing one by id, or by case-insensitive name or alias (either side's);
 * a match merges aliases (the incoming name becomes an alias if it differs), upgrades kind `other`,
 * and takes a non-empty newer description. Facts resolve by entity id or by name/alias; an unknown
 * entity throws, so the caller's transaction rolls back.
 */
export function planEntityUpsert(existing: EntityRecord[], incoming: NewEntity[], facts: NewFact[], storyId: string): EntityPlan {
  const all = existing.map((e) => ({ ...e, aliases: [...e.aliases] }));
  const byId = new Map(all.map((e) => [e.id, e]));
  const byName = new Map<string, EntityRecord>();
  const index = (e: EntityRecord) => {
    for (const n of [e.name, ...e.aliases]) {
      const k = n.trim().toLowerCase();
      if (k && !byName.has(k)) byName.set(k, e);
    }
  };
  // Canonical names win over aliases when both could match.
  for (const e of all) byName.set(e.name.trim().toLowerCase(), e);
  for (const e of all) index(e);

  const inserted = new Set<string>();
  const touched = new Set<string>();
  const matched = new Set<string>();
  for (const n of incoming) {
    const name = n.name.trim();
    if (!name) continue;
    let target: EntityRecord | undefined;
    if (n.id) {
      target = byId.get(n.id);
      if (!target) throw new NotFoundError(`entity ${n.id} not found in story ${storyId}`);
    } else {
      for (const cand of [name, ...(n.aliases ?? [])]) {
        target = byName.get(cand.trim().toLowerCase());
        if (target) break;
      }
    }
    if (!target) {
      const e: EntityRecord = {
        id: newId(),
        name,
        kind: n.kind,
        aliases: dedupeAliases(n.aliases ?? [], name),
        description: n.description?.trim() ?? '',
      };
      all.push(e);
      byId.set(e.id, e);
      inserted.add(e.id);
      byName.set(name.toLowerCase(), e);
      index(e);
      continue;
    }
    if (!inserted.has(target.id)) matched.add(target.id);
    const before = JSON.stringify(target);
    target.aliases = dedupeAliases([...target.aliases, name, ...(n.aliases ?? [])], target.name);
    if (target.kind === 'other' && n.kind !== 'other') target.kind = n.kind;
    const desc = n.description?.trim();
    if (desc) target.description = desc;
    index(target);
    if (!inserted.has(target.id) && JSON.stringify(target) !== before) touched.add(target.id);
  }

  const planned: EntityPlan['facts'] = [];
  for (const f of facts) {
    let entity: EntityRecord | undefined;
    if (f.entityId) entity = byId.get(f.entityId);
    else if (f.entityName) entity = byName.get(f.entityName.trim().toLowerCase());
    if (!entity) {
      throw new NotFoundError(`fact "${f.key}" refers to unknown entity ${f.entityId ?? `"${f.entityName ?? ''}"`} in story ${storyId}`, {
        hint: 'name the entity in the same commit or use an existing entity name or alias',
      });
    }
    planned.push({ entityId: entity.id, key: f.key, value: f.value, removed: Boolean(f.removed), origin: f.origin });
  }
  return {
    inserts: all.filter((e) => inserted.has(e.id)),
    updates: all.filter((e) => touched.has(e.id)),
    matched: [...matched],
    facts: planned,
  };
}

function dedupeAliases(aliases: string[], canonical: string): string[] {
  const seen = new Set([canonical.trim().toLowerCase()]);
  const out: string[] = [];
  for (const a of aliases) {
    const t = a.trim();
    const k = t.toLowerCase();
    if (!t || seen.has(k)) continue;
    seen.add(k);
    out.push(t);
  }
  return out;
}
