import type { MemoryChange, NewEntity, NewFact } from './contract/records.js';

/**
 * Memory changes (what the pipeline, the Dreamer or a player proposes) as the entity/fact rows the shared
 * merge rules write. A fact about an entity the story does not know yet names it as a new entity of kind
 * `other`, so an accepted proposal never fails on a missing entity; a later entity change upgrades the kind.
 */
export function changesToWrite(changes: readonly MemoryChange[]): { entities: NewEntity[]; facts: NewFact[] } {
  const entities: NewEntity[] = [];
  const facts: NewFact[] = [];
  const named = new Set<string>();
  for (const ch of changes) {
    if (ch.op === 'entity') {
      entities.push({ name: ch.name, kind: ch.kind, aliases: ch.aliases, description: ch.description });
      named.add(ch.name.trim().toLowerCase());
    }
  }
  for (const ch of changes) {
    if (ch.op === 'entity') continue;
    const k = ch.entity.trim().toLowerCase();
    if (!named.has(k)) {
      entities.push({ name: ch.entity.trim(), kind: 'other' });
      named.add(k);
    }
    facts.push(ch.op === 'fact'
      ? { entityName: ch.entity, key: ch.key, value: ch.value }
      : { entityName: ch.entity, key: ch.key, value: '', removed: true });
  }
  return { entities, facts };
}

/**
 * The rows a turn's plan wrote, as changes (review mode queues these instead of writing them). A known
 * entity that merely appears (an id and nothing new) changes nothing, so it is not worth a proposal.
 */
export function writeToChanges(entities: readonly NewEntity[], facts: readonly NewFact[]): MemoryChange[] {
  const out: MemoryChange[] = entities.filter((e) => !e.id || e.description || e.aliases?.length).map((e) => ({
    op: 'entity', name: e.name, kind: e.kind,
    ...(e.aliases?.length ? { aliases: e.aliases } : {}), ...(e.description ? { description: e.description } : {}),
  }));
  for (const f of facts) {
    const entity = f.entityName ?? f.entityId ?? '';
    out.push(f.removed ? { op: 'fact-rm', entity, key: f.key } : { op: 'fact', entity, key: f.key, value: f.value });
  }
  return out;
}

/** One line describing a change, for listings. */
export function describeChange(ch: MemoryChange): string {
  if (ch.op === 'entity') return `entity ${ch.name} [${ch.kind}]${ch.aliases?.length ? ` aka ${ch.aliases.join(', ')}` : ''}${ch.description ? `: ${ch.description}` : ''}`;
  if (ch.op === 'fact') return `fact ${ch.entity}.${ch.key} = ${ch.value}`;
  return `remove fact ${ch.entity}.${ch.key}`;
}
