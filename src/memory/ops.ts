import { NotFoundError, UsageError } from '../errors.js';
import { writeDreamerMemory } from '../pipeline/dreamer-memory.js';
import { factRowsByKey } from '../pipeline/memory.js';
import { describeChange } from '../store/memory-changes.js';
import { hasTerminalControls } from '../util/terminal-text.js';
import { ENTITY_KINDS, type Entity, type EntityKind, type EntityPatch, type Fact, type FactOrigin, type MemoryProposal, type Store, type Story, type Turn } from '../store/types.js';

/**
 * Seeing and correcting what a story believes (docs/memory.md): the operations every front end shares (CLI,
 * API, TUI). Facts are read as they apply at the story's head on its current branch; every write goes
 * through writeDreamerMemory as origin 'player', so it keeps history and provenance like any other writer.
 */
export type MemoryOpsStore = Pick<Store, 'getBranch' | 'listEntities' | 'listFacts' | 'upsertEntities' | 'addProposals' | 'editEntity' | 'mergeEntities'
  | 'removeEntity' | 'listProposals' | 'decideProposals'>;


/** One row of a fact's history as shown: the turn numbers are positions on the current branch (0 = the whole story). */
export interface FactRow {
  entity: string;
  entityId: string;
  key: string;
  value: string;
  removed: boolean;
  origin: FactOrigin;
  appliesFrom: number;
  sourceTurn: number | null;
  createdAt: string;
}

export interface FactLine extends FactRow {
  /** Older rows of the key on this branch, newest first (values and tombstones). */
  history: FactRow[];
}

interface BranchView {
  branch: Turn[];
  onBranch: (f: Fact) => boolean;
  depthOf: Map<string, number>;
}

async function branchView(store: MemoryOpsStore, story: Story): Promise<BranchView> {
  const branch = await store.getBranch(story.id, story.headTurnId);
  const ids = new Set(branch.map((t) => t.id));
  return { branch, onBranch: (f) => f.turnId === null || ids.has(f.turnId), depthOf: new Map(branch.map((t) => [t.id, t.depth])) };
}

/** An entity by id, unique id prefix, or name/alias in any case; blank is a usage error, unknown is exit 4. */
export async function findEntity(store: Pick<Store, 'listEntities'>, story: Story, ref: string): Promise<Entity> {
  const r = ref.trim();
  if (!r) throw new UsageError('the entity name is empty', { hint: `luna entity list ${story.id} shows the names` });
  const all = await store.listEntities(story.id);
  const k = r.toLowerCase();
  const hit = all.find((e) => e.id === r) ?? all.find((e) => e.name.toLowerCase() === k) ?? all.find((e) => e.aliases.some((a) => a.toLowerCase() === k));
  if (hit) return hit;
  const prefix = r.length >= 4 ? all.filter((e) => e.id.startsWith(k)) : [];
  if (prefix.length === 1) return prefix[0]!;
  throw new NotFoundError(`no entity "${r}" in story ${story.id}`, { hint: `luna entity list ${story.id} shows the names` });
}

/** The fact lines of the story at its head (current values only unless `history`), optionally for one entity. */
export async function factLines(store: MemoryOpsStore, story: Story, opts: { entity?: Entity; history?: boolean; view?: Promise<BranchView> } = {}): Promise<FactLine[]> {
  const [view, entities, facts] = await Promise.all([opts.view ?? branchView(store, story), store.listEntities(story.id), store.listFacts(story.id)]);
  const names = new Map(entities.map((e) => [e.id, e.name]));
  const row = (f: Fact): FactRow => ({
    entity: names.get(f.entityId) ?? f.entityId, entityId: f.entityId, key: f.key, value: f.value, removed: f.removed, origin: f.origin,
    appliesFrom: f.depth, sourceTurn: f.sourceTurnId === null ? null : (view.depthOf.get(f.sourceTurnId) ?? null), createdAt: f.createdAt,
  });
  const out: FactLine[] = [];
  const order = new Map(entities.map((e, i) => [e.id, i]));
  const byEntity = [...factRowsByKey(facts, view.onBranch)].sort((a, b) => (order.get(a[0]) ?? 0) - (order.get(b[0]) ?? 0));
  for (const [entityId, keys] of byEntity) {
    if (opts.entity && opts.entity.id !== entityId) continue;
    for (const list of keys.values()) {
      const [cur, ...old] = list;
      if (!cur || (cur.removed && !opts.history)) continue;
      out.push({ ...row(cur), history: opts.history ? old.map(row) : [] });
    }
  }
  return out;
}

export interface EntityListing extends Entity {
  /** Keys with a current value at the head. */
  facts: number;
}

export async function entityListing(store: MemoryOpsStore, story: Story): Promise<EntityListing[]> {
  const [entities, lines] = await Promise.all([store.listEntities(story.id), factLines(store, story)]);
  return entities.map((e) => ({ ...e, facts: lines.filter((l) => l.entityId === e.id).length }));
}

export interface EntitySheet {
  entity: Entity;
  /** The turn that introduced it, as a number on the current branch; 0 for the whole story, null off this branch. */
  firstTurn: number | null;
  facts: FactLine[];
}

export async function entitySheet(store: MemoryOpsStore, story: Story, entity: Entity): Promise<EntitySheet> {
  // One walk of the branch for both (on a long story it is the biggest read here).
  const reading = branchView(store, story);
  const [view, facts] = await Promise.all([reading, factLines(store, story, { entity, history: true, view: reading })]);
  return { entity, firstTurn: entity.firstTurnId === null ? 0 : (view.depthOf.get(entity.firstTurnId) ?? null), facts };
}

/** The turn a change applies from: `from` is a turn number on the current branch (0 = the whole story); default the head. */
async function applyTurn(store: MemoryOpsStore, story: Story, from?: number): Promise<{ turnId: string | null; depth: number; head: string | null }> {
  const { branch } = await branchView(store, story);
  if (from === undefined) return { turnId: story.headTurnId, depth: branch.length, head: story.headTurnId };
  if (!Number.isInteger(from) || from < 0) throw new UsageError(`--from expects a turn number (0 or more), found "${from}"`, { hint: '1 is the first turn of the current branch, 0 the whole story' });
  if (from === 0) return { turnId: null, depth: 0, head: story.headTurnId };
  const t = branch[from - 1];
  if (!t) throw new NotFoundError(`no turn ${from} on the current branch of story ${story.id} (it has ${branch.length})`, { hint: `luna story show ${story.id} lists the turns` });
  return { turnId: t.id, depth: from, head: story.headTurnId };
}

export function parseTurnNumber(raw: string | undefined, flag = '--from'): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\s*\d+\s*$/.test(raw)) throw new UsageError(`${flag} expects a turn number, found "${raw}"`, { hint: 'turn numbers are positions on the current branch: 1 is the first turn' });
  return Number(raw);
}

function checkKey(key: string): string {
  const k = key.trim();
  if (!k) throw new UsageError('the fact key is empty', { hint: 'e.g. luna fact set STORY Mira sword "broken"' });
  if (k.length > 64) throw new UsageError(`the fact key is ${k.length} characters long; 64 at most`, { hint: 'use a short key such as "sword" or "home"' });
  if (hasTerminalControls(k) || /[\r\n\t]/.test(k)) throw new UsageError('the fact key holds a line break or a control character', { hint: 'use a short plain word such as "sword"' });
  return k;
}

/** Sets ENTITY.KEY = VALUE from turn `from` (default: the head) on; the older value stays as history. */
export async function setFact(store: MemoryOpsStore, story: Story, entity: Entity, key: string, value: string, from?: number): Promise<FactLine> {
  const k = checkKey(key);
  const v = value.trim();
  if (hasTerminalControls(v)) throw new UsageError('the fact value holds control characters', { hint: 'use plain text' });
  if (!v) throw new UsageError('the fact value is empty', { hint: `remove a fact with: luna fact rm ${story.id} "${entity.name}" ${k}` });
  const at = await applyTurn(store, story, from);
  await writeDreamerMemory(store, story.id, at.turnId, [{ op: 'fact', entity: entity.name, key: k, value: v }], { review: false, origin: 'player', sourceTurnId: at.head });
  return (await factLines(store, story, { entity, history: true })).find((l) => l.key.toLowerCase() === k.toLowerCase())!;
}

/** Removes ENTITY.KEY from turn `from` (default: the head) on, as a tombstone; unknown keys are exit 4. */
export async function removeFact(store: MemoryOpsStore, story: Story, entity: Entity, key: string, from?: number): Promise<FactLine> {
  const k = checkKey(key);
  const current = (await factLines(store, story, { entity })).find((l) => l.key.toLowerCase() === k.toLowerCase());
  if (!current) throw new NotFoundError(`${entity.name} has no fact "${k}" at the head of story ${story.id}`, { hint: `luna fact list ${story.id} "${entity.name}" shows its facts` });
  const at = await applyTurn(store, story, from);
  await writeDreamerMemory(store, story.id, at.turnId, [{ op: 'fact-rm', entity: entity.name, key: current.key }], { review: false, origin: 'player', sourceTurnId: at.head });
  return (await factLines(store, story, { entity, history: true })).find((l) => l.key.toLowerCase() === k.toLowerCase())!;
}

/** Checks and applies an entity edit; nothing given is a usage error. */
export async function editEntity(store: MemoryOpsStore, story: Story, entity: Entity, patch: EntityPatch): Promise<Entity> {
  if (patch.name !== undefined && !patch.name.trim()) throw new UsageError('the new entity name is empty', { hint: 'give --name a name, or leave it out' });
  const p = entityFields(patch);
  if (!Object.keys(p).length) throw new UsageError('nothing to change', { hint: 'give --name, --kind, --summary or --alias' });
  return store.editEntity(story.id, entity.id, p);
}

/** The checked fields of a new or edited entity: a name, a kind of ENTITY_KINDS, trimmed text. */
function entityFields(patch: EntityPatch): EntityPatch {
  // Names are shown on every screen and sent to every model: a terminal escape in one would act on the screen.
  const names = [patch.name, ...(patch.aliases ?? [])].filter((t): t is string => t !== undefined);
  if (names.some((t) => hasTerminalControls(t) || /[\r\n\t]/.test(t.trim()))) {
    throw new UsageError('an entity name or alias holds a line break or a control character', { hint: 'use plain text on one line' });
  }
  if (patch.description !== undefined && hasTerminalControls(patch.description)) {
    throw new UsageError('the summary holds control characters', { hint: 'use plain text (line breaks and tabs are fine)' });
  }
  const p: EntityPatch = {};
  if (patch.name !== undefined) {
    if (!patch.name.trim()) throw new UsageError('the entity name is empty', { hint: 'give it a name, e.g. "Maren Vale"' });
    if (patch.name.trim().length > 200) throw new UsageError(`the entity name is ${patch.name.trim().length} characters long; 200 at most`, { hint: 'use the name the story uses' });
    p.name = patch.name.trim();
  }
  if (patch.kind !== undefined) {
    if (!(ENTITY_KINDS as readonly string[]).includes(patch.kind)) throw new UsageError(`--kind must be one of ${ENTITY_KINDS.join(', ')}, found "${patch.kind}"`, { hint: 'e.g. --kind character' });
    p.kind = patch.kind;
  }
  if (patch.description !== undefined) p.description = patch.description.trim();
  if (patch.aliases !== undefined) p.aliases = patch.aliases.map((a) => a.trim()).filter(Boolean);
  return p;
}

/**
 * Adds an entity the story has missed, for the whole story (every branch), as the player's. A name or alias
 * the story already has is a usage error: the entity is there to edit.
 */
export async function addEntity(store: MemoryOpsStore, story: Story, fields: EntityPatch & { name: string }): Promise<Entity> {
  const p = entityFields({ ...fields, kind: fields.kind ?? 'other' });
  const all = await store.listEntities(story.id);
  const names = [p.name!, ...(p.aliases ?? [])].map((n) => n.toLowerCase());
  const clash = all.find((e) => [e.name, ...e.aliases].some((n) => names.includes(n.toLowerCase())));
  if (clash) throw new UsageError(`story ${story.id} already has "${clash.name}"`, { hint: `change it with: luna entity edit ${story.id} "${clash.name}" …` });
  await store.upsertEntities(story.id, null, [{ name: p.name!, kind: p.kind!, description: p.description ?? '', aliases: p.aliases ?? [] }], [], { origin: 'player' });
  return findEntity(store, story, p.name!);
}

/** Removes an entity and its facts with their history; returns how many fact rows went. */
export async function removeEntity(store: MemoryOpsStore, story: Story, ref: string): Promise<{ entity: Entity; factsRemoved: number }> {
  const entity = await findEntity(store, story, ref);
  return { entity, factsRemoved: await store.removeEntity(story.id, entity.id) };
}

export async function mergeEntities(store: MemoryOpsStore, story: Story, fromRef: string, intoRef: string): Promise<Entity> {
  const from = await findEntity(store, story, fromRef);
  const into = await findEntity(store, story, intoRef);
  if (from.id === into.id) throw new UsageError(`"${fromRef}" and "${intoRef}" are the same entity (${into.name})`, { hint: 'name two different entities' });
  return store.mergeEntities(story.id, from.id, into.id);
}

export interface ProposalLine extends MemoryProposal {
  text: string;
  turn: number | null;
}

/** Pending proposals (review mode), with a one-line text and the turn number they were made at. */
export async function pendingProposals(store: MemoryOpsStore, story: Story): Promise<ProposalLine[]> {
  const [view, list] = await Promise.all([branchView(store, story), store.listProposals(story.id, { state: 'pending' })]);
  return list.map((p) => ({ ...p, text: describeChange(p.change), turn: p.turnId === null ? null : (view.depthOf.get(p.turnId) ?? null) }));
}

export async function decideProposals(store: MemoryOpsStore, story: Story, ids: string[] | 'all', accept: boolean): Promise<MemoryProposal[]> {
  if (ids !== 'all') {
    const clean = ids.map((i) => i.trim());
    if (!clean.length || clean.some((i) => !i)) throw new UsageError('a proposal id is empty', { hint: `luna memory review ${story.id} lists the ids` });
    return store.decideProposals(story.id, clean, accept);
  }
  return store.decideProposals(story.id, 'all', accept);
}
