import { z } from 'zod';
import { LORE_DEFAULTS, LORE_LOGICS, LORE_POSITIONS, type LoreEntry, type NewLore } from '../store/types.js';
import { regexKeyProblem } from '../pipeline/lore-match.js';

/** Limits that keep one lorebook from swamping a story: a file over them is refused whole, never cut. */
export const LORE_LIMITS = { entries: 5_000, keys: 100, keyChars: 500, titleChars: 300, bodyChars: 50_000, commentChars: 5_000 } as const;

const key = z.string().max(LORE_LIMITS.keyChars).superRefine((k, ctx) => {
  const problem = regexKeyProblem(k);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});
const keys = z.array(key).max(LORE_LIMITS.keys);

/** One lore entry as written in a story file, by `luna lore add|edit` and by every lorebook importer. */
export const newLoreSchema = z.strictObject({
  title: z.string().trim().min(1).max(LORE_LIMITS.titleChars),
  body: z.string().max(LORE_LIMITS.bodyChars),
  keywords: keys.optional(),
  constant: z.boolean().optional(),
  secondaryKeys: keys.optional(),
  logic: z.enum(LORE_LOGICS as [string, ...string[]]).optional(),
  caseSensitive: z.boolean().optional(),
  wholeWords: z.boolean().optional(),
  order: z.number().int().min(-1_000_000).max(1_000_000).optional(),
  priority: z.number().int().min(-100).max(100).optional(),
  position: z.enum(LORE_POSITIONS as [string, ...string[]]).optional(),
  probability: z.number().int().min(0).max(100).optional(),
  excludeRecursion: z.boolean().optional(),
  preventRecursion: z.boolean().optional(),
  enabled: z.boolean().optional(),
  comment: z.string().max(LORE_LIMITS.commentChars).optional(),
}) as unknown as z.ZodType<NewLore>;

/** An entry as a story file keeps it: only what differs from the defaults, so files stay readable. */
export function exportLore(l: LoreEntry): NewLore {
  const out: Record<string, unknown> = { title: l.title, keywords: l.keywords, body: l.body, constant: l.constant };
  for (const [k, def] of Object.entries(LORE_DEFAULTS)) {
    const v = (l as unknown as Record<string, unknown>)[k];
    if (JSON.stringify(v) !== JSON.stringify(def)) out[k] = v;
  }
  return out as NewLore;
}
