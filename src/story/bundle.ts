import { z } from 'zod';
import { ENTITY_KINDS, FACT_ORIGINS, type BundleTurn, type Store, type StoryBundle, type Turn } from '../store/types.js';
import { plural } from '../util/plural.js';
import { titleProblem } from './title.js';
import { exportLore, LORE_LIMITS, newLoreSchema } from '../lore/schema.js';

/** The story exchange format (`luna story export --format json` / `luna story import`). Documented in the README. */
const turnSchema = z.strictObject({
  action: z.string(),
  prose: z.string(),
  // Steering (docs/play.md), written only for turns that had it.
  continued: z.boolean().optional(),
  note: z.string().max(100_000).optional(),
  ooc: z.string().max(100_000).optional(),
});
export const storyBundleSchema = z.strictObject({
  format: z.literal('luna-story/1').optional(),
  title: z.string().superRefine((t, ctx) => {
    const problem = titleProblem(t);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  }),
  premise: z.string().max(20_000),
  style: z.string().max(2_000).optional(),
  authorNote: z.string().max(2_000).optional(),
  lore: z.array(newLoreSchema).max(LORE_LIMITS.entries).optional(),
  card: z
    .strictObject({
      spec: z.enum(['chara_card_v2', 'chara_card_v3']),
      data: z.record(z.string(), z.unknown()),
      tags: z.array(z.string()).optional(),
      image: z.string().base64().optional(),
    })
    .optional(),
  entities: z
    .array(
      z.strictObject({
        name: z.string().min(1),
        kind: z.enum(ENTITY_KINDS).optional(),
        aliases: z.array(z.string()).optional(),
        description: z.string().optional(),
        facts: z.array(z.strictObject({
          key: z.string().min(1), value: z.string(), turn: z.number().int().min(0).optional(),
          origin: z.enum(FACT_ORIGINS).optional(), removed: z.boolean().optional(),
        })).optional(),
      }),
    )
    .optional(),
  turns: z.array(turnSchema),
  branches: z.array(z.strictObject({ from: z.number().int().min(0), turns: z.array(turnSchema).min(1) })).optional(),
});

/**
 * Builds the bundle for a story: the current branch is the main line; every other leaf becomes a branch
 * starting where it leaves the main line (a branch of a branch repeats their shared turns).
 */
export async function exportBundle(store: Store, storyId: string): Promise<StoryBundle & { format: 'luna-story/1' }> {
  return (await exportBundleWithIds(store, storyId)).bundle;
}

/** The turn ids behind a bundle's turns, in the same order (main line, then each branch's own turns). */
export interface BundleTurnIds {
  main: string[];
  branches: string[][];
}

export async function exportBundleWithIds(store: Store, storyId: string): Promise<{ bundle: StoryBundle & { format: 'luna-story/1' }; ids: BundleTurnIds }> {
  const story = await store.getStory(storyId);
  if (!story) throw new Error(`no story ${storyId}`);
  const main = await store.getBranch(story.id, story.headTurnId);
  const mainIndex = new Map(main.map((t, i) => [t.id, i + 1]));
  const [leaves, entities, facts, lore, card] = await Promise.all([
    store.listLeaves(story.id), store.listEntities(story.id), store.listFacts(story.id), store.listLore(story.id), store.getStoryCard(story.id),
  ]);
  const branches: NonNullable<StoryBundle['branches']> = [];
  const branchIds: string[][] = [];
  for (const leaf of leaves) {
    if (mainIndex.has(leaf.id)) continue;
    const path = await store.getBranch(story.id, leaf.id);
    let split = 0;
    while (split < path.length && mainIndex.has(path[split]!.id)) split++;
    branches.push({ from: split, turns: path.slice(split).map(pair) });
    branchIds.push(path.slice(split).map((t) => t.id));
  }
  const factsByEntity = new Map<string, typeof facts>();
  for (const f of facts) factsByEntity.set(f.entityId, [...(factsByEntity.get(f.entityId) ?? []), f]);
  const bundle = {
    format: 'luna-story/1' as const,
    title: story.title,
    premise: story.premise,
    style: story.style || undefined,
    authorNote: story.authorNote || undefined,
    lore: lore.map(exportLore),
    entities: entities.map((e) => ({
      name: e.name,
      kind: e.kind,
      aliases: e.aliases,
      description: e.description,
      facts: (factsByEntity.get(e.id) ?? [])
        .filter((f) => f.turnId === null || mainIndex.has(f.turnId))
        .map((f) => ({
          key: f.key, value: f.value, turn: f.turnId ? mainIndex.get(f.turnId) : undefined,
          ...(f.origin !== 'import' ? { origin: f.origin } : {}), ...(f.removed ? { removed: true } : {}),
        })),
    })),
    turns: main.map(pair),
    branches,
    ...(card ? { card: { spec: card.spec, data: card.card, tags: card.tags, ...(card.image ? { image: card.image.toString('base64') } : {}) } } : {}),
  };
  return { bundle, ids: { main: main.map((t) => t.id), branches: branchIds } };
}

function pair(t: Turn): BundleTurn {
  return { action: t.action, prose: t.prose, ...(t.continued ? { continued: true } : {}), ...(t.note ? { note: t.note } : {}), ...(t.ooc ? { ooc: t.ooc } : {}) };
}

/**
 * The story as a document: the current branch as the main story, then every other branch in its own
 * section, starting where it leaves the main story (its earlier turns are the main story's).
 */
export function bundleToMarkdown(b: StoryBundle, opts: { images?: { main: string[][]; branches: string[][][] } } = {}): string {
  const out = [`# ${b.title}`, '', `*${b.premise}*`, ''];
  if (b.style) out.push(`Style: ${b.style}`, '');
  const branches = b.branches ?? [];
  if (branches.length) out.push(`This story has ${plural(branches.length + 1, 'branch')}: the current one comes first, then the others, each from where it leaves it.`, '');
  // Each image is a ready link destination (see markdownImageLink), placed after the turn's prose.
  const turn = (t: { action: string; prose: string }, n: number, level: string, images: string[] = []) =>
    out.push(`${level} Turn ${n}`, '', ...(t.action ? [...t.action.split('\n').map((l) => `> ${l}`), ''] : []), t.prose, '',
      ...images.flatMap((dest, k) => [`![Turn ${n}${images.length > 1 ? `, image ${k + 1}` : ''}](${dest})`, '']));
  b.turns.forEach((t, i) => turn(t, i + 1, '##', opts.images?.main[i]));
  branches.forEach((br, i) => {
    out.push('---', '', `## Branch ${i + 2}: leaves the story after turn ${br.from}`, '');
    br.turns.forEach((t, j) => turn(t, br.from + j + 1, '###', opts.images?.branches[i]?.[j]));
  });
  if (b.entities?.length) {
    out.push('## Cast and places', '');
    for (const e of b.entities) out.push(`- **${e.name}** (${e.kind ?? 'other'})${e.description ? `: ${e.description}` : ''}`);
    out.push('');
  }
  return out.join('\n');
}
