import { UsageError } from '../errors.js';
import { jsonCutShort } from '../util/read-input.js';
import type { NewLore } from '../store/types.js';
import { fromAIDungeon, isAIDungeon } from './formats/aidungeon.js';
import { fromCharacterBook, isCharacterBook } from './formats/character-book.js';
import { bad, describe, type Converted, type EntryNote, type LorebookFormat } from './formats/fields.js';
import { fromNovelAI, isNovelAI } from './formats/novelai.js';
import { fromSillyTavern, isSillyTavern } from './formats/sillytavern.js';
import { LORE_LIMITS, newLoreSchema } from './schema.js';

export type { EntryNote, LorebookFormat } from './formats/fields.js';

export interface LorebookImport {
  format: LorebookFormat;
  name?: string;
  entries: NewLore[];
  /** What each entry's format said that LUNA keeps differently or cannot express; never dropped silently. */
  notes: EntryNote[];
}

export interface LorebookOptions {
  /** Titles already in the story: an imported entry with one of them is a duplicate. */
  existingTitles?: string[];
  /** Keep entries whose title another has, numbering the later ones "Title (2)". */
  allowDuplicates?: boolean;
}

export const FORMAT_NAMES: Record<LorebookFormat, string> = {
  sillytavern: 'SillyTavern World Info', novelai: 'NovelAI lorebook', aidungeon: 'AI Dungeon story cards', 'character-book': 'character book', luna: 'LUNA lore',
};

/** Parses the text of a lorebook file in any format LUNA reads; throws one UsageError line for bad input. */
export function parseLorebookText(text: string, file: string, opts: LorebookOptions = {}): LorebookImport {
  return parseLorebook(parseJsonText(text, file), file, opts);
}

export function parseJsonText(text: string, file: string): unknown {
  try {
    return JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    const msg = (err as Error).message;
    const cut = jsonCutShort(err, text) ? ' (it looks cut short: was the download or copy complete?)' : '';
    throw new UsageError(`${file} is not valid JSON${cut}: ${msg}`, { hint: 'docs/lore.md lists the lorebook formats LUNA reads' });
  }
}

export function parseLorebook(raw: unknown, file: string, opts: LorebookOptions = {}): LorebookImport {
  return checkConverted(convert(raw, file), file, opts);
}

/** Limits, duplicate names and the lore schema over converted entries (shared with character cards' books). */
export function checkConverted(converted: Converted, file: string, opts: LorebookOptions = {}): LorebookImport {
  if (converted.entries.length > LORE_LIMITS.entries) {
    throw new UsageError(`${file} has ${converted.entries.length.toLocaleString('en-US')} entries; LUNA imports at most ${LORE_LIMITS.entries.toLocaleString('en-US')} from one file`, {
      hint: 'split the lorebook into several files and import each, or remove entries the story does not need',
    });
  }
  const notes: EntryNote[] = [];
  const seen = new Map<string, number>();
  for (const t of opts.existingTitles ?? []) seen.set(t.toLowerCase(), 0);
  const entries = converted.entries.map((e, i) => {
    const n = i + 1;
    let title = e.lore.title;
    const prior = seen.get(title.toLowerCase());
    if (prior !== undefined) {
      if (e.named && !opts.allowDuplicates) {
        const what = prior === 0 ? 'is already in the story\'s lore' : `is also the name of entry ${prior}`;
        throw new UsageError(`${file}: entry ${n} "${title}" ${what}`, {
          hint: 'rename one of them, or pass --allow-duplicates to keep both (the later one is numbered), or --replace to replace the story\'s lore',
        });
      }
      let k = 2;
      while (seen.has(`${title} (${k})`.toLowerCase())) k++;
      const renamed = `${title} (${k})`;
      e.notes.push(`renamed "${title}" to "${renamed}": another entry has that name`);
      title = renamed;
    }
    seen.set(title.toLowerCase(), n);
    const parsed = newLoreSchema.safeParse({ ...e.lore, title });
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw bad(`${file}: entry ${n} "${title.slice(0, 60)}": ${issue.path.join('.') || 'entry'}: ${issue.message}`);
    }
    for (const note of e.notes) notes.push({ entry: n, title, note });
    return parsed.data;
  });
  return { format: converted.format, name: converted.name, entries, notes };
}

function convert(raw: unknown, file: string): Converted {
  if (isNovelAI(raw)) return fromNovelAI(raw as Record<string, unknown>);
  if (isSillyTavern(raw)) return fromSillyTavern(raw as Record<string, unknown>);
  if (isAIDungeon(raw)) return fromAIDungeon(raw);
  if (isCharacterBook(raw)) return fromCharacterBook(raw as Record<string, unknown>, 'lorebook');
  const o = raw as Record<string, unknown> | null;
  // A character card (its embedded book) or a LUNA story file (its lore).
  const book = (o?.data as Record<string, unknown> | undefined)?.character_book;
  if (typeof o?.spec === 'string' && book && typeof book === 'object') return fromCharacterBook(book as Record<string, unknown>);
  if (o && Array.isArray(o.lore)) {
    return { format: 'luna', entries: (o.lore as NewLore[]).map((l) => ({ lore: l, named: true, notes: [] })) };
  }
  throw new UsageError(`${file} is not a lorebook LUNA reads (found ${describe(raw)} without the fields of any known format)`, {
    hint: 'LUNA reads SillyTavern World Info JSON, NovelAI .lorebook, AI Dungeon story cards, a character card\'s character_book and LUNA story files (docs/lore.md)',
  });
}
