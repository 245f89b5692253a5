import { UsageError } from '../errors.js';
import { addEntity, decideProposals, entityListing, entitySheet, findEntity, pendingProposals, removeEntity, removeFact, setFact } from '../memory/ops.js';
import { entityHeader, entitySheetLines, factRowText, turnLabel } from '../memory/render.js';
import type { Entity, Store, Story } from '../store/types.js';
import type { PanelText } from './views.js';

/**
 * Seeing and correcting memory in play (docs/memory.md): `/entity [NAME]`, `/entity add|rm NAME`, `/fact ENTITY KEY VALUE`,
 * `/fact rm ENTITY KEY`, `/review` with `/review accept|reject N… | all`. Names with spaces may be quoted
 * or typed as they are: the longest leading words that name an entity are taken as the entity.
 */
export const FACT_USAGE = '/fact ENTITY KEY VALUE, /fact rm ENTITY KEY';
export const ENTITY_USAGE = '/entity NAME shows its sheet; /entity add NAME, /entity rm NAME';

/** `/entity add NAME` or `/entity rm NAME` (null: not one of those, the panel shows); returns the notice. */
export async function entityCommand(store: Store, story: Story, args: string[]): Promise<string | null> {
  const [verb, ...rest] = splitWords(args);
  const name = rest.join(' ');
  if ((verb !== 'add' && verb !== 'rm') || !name) return null;
  if (verb === 'add') return `added ${entityHeader(await addEntity(store, story, { name, kind: 'other' }))}; luna entity edit sets its kind and aliases`;
  const { entity, factsRemoved } = await removeEntity(store, story, name);
  return `removed ${entity.name} and its ${factsRemoved} fact row${factsRemoved === 1 ? '' : 's'}`;
}
export const REVIEW_USAGE = '/review, /review accept N… | all, /review reject N… | all';

/** Words of a command line; "double quotes" keep spaces. */
export function splitWords(args: string[]): string[] {
  const out: string[] = [];
  for (const m of args.join(' ').matchAll(/"([^"]*)"|(\S+)/g)) out.push(m[1] ?? m[2]!);
  return out;
}

/** The entity named by the longest run of leading words that leaves at least `rest` words after it. */
async function leadingEntity(store: Store, story: Story, words: string[], rest: number, usage: string): Promise<{ entity: Entity; after: string[] }> {
  if (words.length <= rest) throw new UsageError(`${usage.split(',')[0]} needs more words`, { hint: usage });
  const all = await store.listEntities(story.id);
  for (let n = words.length - rest; n >= 1; n--) {
    const name = words.slice(0, n).join(' ').toLowerCase();
    const hit = all.find((e) => e.name.toLowerCase() === name) ?? all.find((e) => e.aliases.some((a) => a.toLowerCase() === name));
    if (hit) return { entity: hit, after: words.slice(n) };
  }
  return { entity: await findEntity(store, story, words[0]!), after: words.slice(1) };
}

export async function entityPanel(store: Store, story: Story, args: string[]): Promise<PanelText> {
  const name = splitWords(args).join(' ');
  if (name) {
    const sheet = await entitySheet(store, story, await findEntity(store, story, name));
    return { title: `${sheet.entity.name} in "${story.title}"`, lines: [...entitySheetLines(sheet.entity, sheet.facts, sheet.firstTurn), '', `${FACT_USAGE}; luna entity edit for names, kinds and aliases`] };
  }
  const list = await entityListing(store, story);
  // Who recorded each one, as `luna entity list` shows it: a Dreamer's entity is an inference from the prose.
  const lines = list.length
    ? list.map((e) => `  ${e.name} [${e.kind}]${e.aliases.length ? ` aka ${e.aliases.join(', ')}` : ''} — ${e.facts} fact${e.facts === 1 ? '' : 's'} · ${e.origin ?? 'plan'}`)
    : ['no entities yet'];
  lines.push('', ENTITY_USAGE);
  return { title: `entities of "${story.title}" (${list.length})`, lines };
}

/** Runs `/fact …`; returns the notice to show. */
export async function factCommand(store: Store, story: Story, args: string[]): Promise<string> {
  const words = splitWords(args);
  if (words[0]?.toLowerCase() === 'rm') {
    const { entity, after } = await leadingEntity(store, story, words.slice(1), 1, FACT_USAGE.split(', ')[1]!);
    if (after.length !== 1) throw new UsageError('/fact rm takes ENTITY KEY', { hint: FACT_USAGE });
    return `${entity.name}: ${factRowText(await removeFact(store, story, entity, after[0]!))}`;
  }
  const { entity, after } = await leadingEntity(store, story, words, 2, FACT_USAGE);
  const [key, ...value] = after;
  return `${entity.name}: ${factRowText(await setFact(store, story, entity, key!, value.join(' ')))}`;
}

export async function reviewPanel(store: Store, story: Story): Promise<PanelText> {
  const list = await pendingProposals(store, story);
  const lines = list.length
    ? list.map((p, i) => `${String(i + 1).padStart(3)}. ${p.text}  (${p.origin}, ${turnLabel(p.turn)})`)
    : ['nothing waits for review (agents.dreamer.review: true queues the changes turns and the Dreamer would write)'];
  lines.push('', REVIEW_USAGE);
  return { title: `memory review of "${story.title}" (${list.length})`, lines };
}

/** Runs `/review accept|reject N… | all`; numbers are the panel's. */
export async function reviewCommand(store: Store, story: Story, args: string[]): Promise<string> {
  const [verb = '', ...rest] = args.map((a) => a.toLowerCase());
  if (verb !== 'accept' && verb !== 'reject') throw new UsageError(`/review does not know "${verb}"`, { hint: REVIEW_USAGE });
  const pending = await pendingProposals(store, story);
  let ids: string[] | 'all';
  if (rest.length === 1 && rest[0] === 'all') ids = 'all';
  else {
    if (!rest.length) throw new UsageError(`/review ${verb} needs numbers or "all"`, { hint: REVIEW_USAGE });
    ids = rest.map((r) => {
      const n = Number(r);
      const p = Number.isInteger(n) ? pending[n - 1] : undefined;
      if (!p) throw new UsageError(`/review ${verb}: no change ${r} (there ${pending.length === 1 ? 'is 1' : `are ${pending.length}`})`, { hint: '/review lists the numbers' });
      return p.id;
    });
  }
  const done = await decideProposals(store, story, ids, verb === 'accept');
  return `${verb === 'accept' ? 'accepted' : 'rejected'} ${done.length} change${done.length === 1 ? '' : 's'}`;
}
