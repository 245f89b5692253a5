import { z } from 'zod';
import type { Store, StoryBundle, Turn } from '../store/types.js';

/** The story exchange format (`luna story export --format json` / `luna story import`). Documented in the README. */
const turnSchema = z.strictObject({ action: z.string(), prose: z.string() });
export const storyBundleSchema = z.strictObject({
  format: z.literal('luna-story/1').optional(),
  title: z.string().min(1).max(200),
  premise: z.string().max(20_000),
  style: z.string().max(2_000).optional(),
  lore: z
    .array(z.strictObject({ title: z.string().min(1), keywords: z.array(z.string()).optional(), body: z.string(), constant: z.boolean().optional() }))
    .optional(),
  entities: z
    .array(
      z.strictObject({
        name: z.string().min(1),
        kind: z.enum(['character', 'place', 'item', 'faction', 'other']).optional(),
        aliases: z.array(z.string()).optional(),
        description: z.string().optional(),
        facts: z.array(z.strictObject({ key: z.string().min(1), value: z.string(), turn: z.number().int().min(0).optional() })).optional(),
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
  const story = await store.getStory(storyId);
  if (!story) throw new Error(`no story ${storyId}`);
  const main = await store.getBranch(story.id, story.headTurnId);
  const mainIndex = new Map(main.map((t, i) => [t.id, i + 1]));
  const [leaves, entities, facts, lore] = await Promise.all([store.listLeaves(story.id), store.listEntities(story.id), store.listFacts(story.id), store.listLore(story.id)]);
  const branches: NonNullable<StoryBundle['branches']> = [];
  for (const leaf of leaves) {
    if (mainIndex.has(leaf.id)) continue;
    const path = await store.getBranch(story.id, leaf.id);
    let split = 0;
    while (split < path.length && mainIndex.has(path[split]!.id)) split++;
    branches.push({ from: split, turns: path.slice(split).map(pair) });
  }
  const factsByEntity = new Map<string, typeof facts>();
  for (const f of facts) factsByEntity.set(f.entityId, [...(factsByEntity.get(f.entityId) ?? []), f]);
  return {
    format: 'luna-story/1',
    title: story.title,
    premise: story.premise,
    style: story.style || undefined,
    lore: lore.map((l) => ({ title: l.title, keywords: l.keywords, body: l.body, constant: l.constant })),
    entities: entities.map((e) => ({
      name: e.name,
      kind: e.kind,
      aliases: e.aliases,
      description: e.description,
      facts: (factsByEntity.get(e.id) ?? [])
        .filter((f) => f.turnId === null || mainIndex.has(f.turnId))
        .map((f) => ({ key: f.key, value: f.value, turn: f.turnId ? mainIndex.get(f.turnId) : undefined })),
    })),
    turns: main.map(pair),
    branches,
  };
}

function pair(t: Turn): { action: string; prose: string } {
  return { action: t.action, prose: t.prose };
}

export function bundleToMarkdown(b: StoryBundle): string {
  const out = [`# ${b.title}`, '', `*${b.premise}*`, ''];
  if (b.style) out.push(`Style: ${b.style}`, '');
  b.turns.forEach((t, i) => out.push(`## Turn ${i + 1}`, '', `> ${t.action}`, '', t.prose, ''));
  if (b.entities?.length) {
    out.push('## Cast and places', '');
    for (const e of b.entities) out.push(`- **${e.name}** (${e.kind ?? 'other'})${e.description ? `: ${e.description}` : ''}`);
    out.push('');
  }
  return out.join('\n');
}
