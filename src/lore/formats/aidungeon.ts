import type { NewLore } from '../../store/types.js';
import { bad, Fields, titleFrom, type Converted } from './fields.js';

/**
 * AI Dungeon story cards as the scenario editor exports them: a list of { keys: "a, b", value, type, title,
 * description, useForCharacterCreation }; the older world-info export ({ keys, entry }) too.
 */
export function isAIDungeon(raw: unknown): boolean {
  const list = Array.isArray(raw) ? raw : (raw as { storyCards?: unknown })?.storyCards;
  return Array.isArray(list) && (list.length === 0 || (typeof list[0] === 'object' && list[0] !== null && 'keys' in list[0] && ('value' in list[0] || 'entry' in list[0])));
}

export function fromAIDungeon(raw: unknown): Converted {
  const list = Array.isArray(raw) ? raw : (raw as { storyCards?: unknown }).storyCards;
  if (!Array.isArray(list)) throw bad('AI Dungeon story cards: expected a list of cards');
  const entries = list.map((v, i) => {
    const e = new Fields(Fields.of(v, `card ${i + 1}`).o, `card ${i + 1}`);
    const keys = e.strs('keys', { commaString: true });
    const { title, named } = titleFrom(e.str('title'), keys, i + 1);
    const notes: string[] = [];
    const type = e.str('type');
    const description = e.str('description');
    // LUNA lore has no card type or notes field: both go into the comment, which the model never sees.
    const comment = [type && `AI Dungeon type: ${type}`, description].filter(Boolean).join('\n');
    if (e.bool('useForCharacterCreation', false)) notes.push('"use for character creation" not supported');
    const lore: NewLore = { title, body: e.has('value') ? e.str('value') : e.str('entry'), keywords: keys, comment };
    return { lore, named, notes };
  });
  return { format: 'aidungeon', entries };
}
