import type { NewLore } from '../../store/types.js';
import { bad, clamp, Fields, titleFrom, type Converted } from './fields.js';

/** NovelAI `.lorebook` files (lorebookVersion 1–6): entries with text, keys, forceActivation and a contextConfig. */
export function isNovelAI(raw: unknown): boolean {
  return typeof raw === 'object' && raw !== null && 'lorebookVersion' in raw;
}

const CONTEXT_DEFAULTS: Record<string, unknown> = {
  prefix: '', suffix: '\n', tokenBudget: 1, reservedTokens: 0, trimDirection: 'trimBottom', insertionType: 'newline', maximumTrimType: 'sentence', insertionPosition: -1,
};

export function fromNovelAI(raw: Record<string, unknown>): Converted {
  if (!Array.isArray(raw.entries)) throw bad('NovelAI lorebook: "entries" must be a list');
  const entries = (raw.entries as unknown[]).map((v, i) => {
    const e = new Fields(Fields.of(v, `entry ${i + 1}`).o, `entry ${i + 1}`);
    const notes: string[] = [];
    const keys = e.strs('keys');
    const { title, named } = titleFrom(e.str('displayName'), keys, i + 1);
    const cc = e.obj('contextConfig');
    // NovelAI's budgetPriority defaults to 400 (higher goes in first); LUNA's priority is -100…100 around 0.
    const bp = cc.num('budgetPriority', 400);
    const priority = clamp((bp - 400) / 4, -100, 100);
    for (const [k, def] of Object.entries(CONTEXT_DEFAULTS)) {
      if (cc.has(k) && JSON.stringify(cc.o[k]) !== JSON.stringify(def)) notes.push(`contextConfig.${k} ${JSON.stringify(cc.o[k])} not supported`);
    }
    if (e.has('searchRange') && e.num('searchRange', 1000) !== 1000) notes.push(`searchRange ${e.num('searchRange', 1000)} not supported (LUNA scans the action and recent turns)`);
    if (e.bool('keyRelative', false)) notes.push('key-relative insertion not supported');
    if (e.bool('nonStoryActivatable', false)) notes.push('"non-story activatable" not supported: the entry can trigger from the story');
    if (Array.isArray(e.o.loreBiasGroups) && (e.o.loreBiasGroups as unknown[]).some((g) => (g as { phrases?: unknown[] })?.phrases?.length)) notes.push('phrase bias groups not supported');
    if (e.str('category')) notes.push(`category ${JSON.stringify(e.str('category'))} kept in the comment`);
    const lore: NewLore = {
      title, body: e.str('text'), keywords: keys, constant: e.bool('forceActivation', false), enabled: e.bool('enabled', true), priority,
      comment: e.str('category') ? `NovelAI category: ${e.str('category')}` : '',
    };
    return { lore, named, notes };
  });
  return { format: 'novelai', entries };
}
