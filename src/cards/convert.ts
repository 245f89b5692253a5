import { UsageError } from '../errors.js';
import { fromCharacterBook } from '../lore/formats/character-book.js';
import { checkConverted, type EntryNote } from '../lore/import.js';
import { storyBundleSchema } from '../story/bundle.js';
import type { NewLore, StoryBundle } from '../store/types.js';
import type { CardData, ReadCard } from './card.js';

/**
 * A card becomes a story: description and personality → the main character's entity sheet, scenario →
 * premise, first message → the opening turn, alternate greetings → branches from the start, example
 * dialogue → style, character_book → lore, tags and everything else kept with the story for export.
 * A field too long for its place (a story's style holds 2,000 characters) becomes a constant lore entry
 * marked by its comment, and goes back to its field on export.
 */
export const STYLE_MAX = 2_000;
export const PREMISE_MAX = 20_000;
const PERSONALITY = '\n\nPersonality: ';
/** Comment that marks a lore entry holding a card field (`card:mes_example`). */
const FIELD_MARK = 'card:';

export function substituteMacros(text: string, name: string): string {
  return text.replace(/\{\{char\}\}|<BOT>/gi, name).replace(/\{\{user\}\}|<USER>/gi, 'you');
}

export function describeCharacter(description: string, personality: string): string {
  return personality.trim() ? `${description}${PERSONALITY}${personality}` : description;
}

export interface CardImport {
  bundle: StoryBundle;
  notes: string[];
  loreNotes: EntryNote[];
}

export function cardToBundle(card: ReadCard, file: string): CardImport {
  const d = card.data;
  const name = d.name.trim();
  const sub = (t: string) => substituteMacros(t, name);
  const notes = [...card.notes];
  const lore: NewLore[] = [];
  let loreNotes: EntryNote[] = [];
  if (d.character_book) {
    const book = checkConverted(fromCharacterBook(d.character_book as Record<string, unknown>), `${file} (character_book)`, { allowDuplicates: true });
    lore.push(...book.entries.map((e) => ({ ...e, body: sub(e.body) })));
    loreNotes = book.notes;
  }
  const asLore = (field: string, title: string, body: string, position: NewLore['position']) => {
    lore.push({ title, body, constant: true, position, comment: `${FIELD_MARK}${field}` });
    notes.push(`${field} is ${body.length.toLocaleString('en-US')} characters: kept whole as the constant lore entry "${title}"`);
  };
  let premise = sub(d.scenario);
  if (premise.length > PREMISE_MAX) {
    asLore('scenario', 'Scenario', premise, 'before');
    premise = '';
  }
  let style = sub(d.mes_example);
  if (style.length > STYLE_MAX) {
    asLore('mes_example', 'Example dialogue', style, 'after');
    style = '';
  }
  if (d.system_prompt?.trim()) notes.push('system_prompt kept with the story for export; LUNA\'s agents use their own prompts');
  if (d.post_history_instructions?.trim()) notes.push('post_history_instructions kept with the story for export; not sent to the models');
  if (d.group_only_greetings?.length) notes.push(`${d.group_only_greetings.length} group-only greeting(s) kept for export; LUNA stories have no group chats`);
  const greeting = (g: string) => ({ action: '', prose: sub(g) });
  const { character_book: _book, ...kept } = d;
  const bundle: StoryBundle = {
    title: name,
    premise,
    style: style || undefined,
    lore,
    entities: [{ name, kind: 'character', description: sub(describeCharacter(d.description, d.personality)) }],
    turns: d.first_mes.trim() ? [greeting(d.first_mes)] : [],
    branches: d.alternate_greetings.filter((g) => g.trim()).map((g) => ({ from: 0, turns: [greeting(g)] })),
    card: { spec: card.spec, data: kept, tags: d.tags, ...(card.image ? { image: card.image.toString('base64') } : {}) },
  };
  if (!bundle.turns.length && bundle.branches!.length) {
    // No first message but alternates: the first alternate opens the story.
    bundle.turns = bundle.branches!.shift()!.turns;
  }
  const r = storyBundleSchema.safeParse(bundle);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new UsageError(`${file}: the card cannot become a story: ${i.path.join('.') || 'card'}: ${i.message}`, { hint: 'fix that field of the card' });
  }
  return { bundle: r.data as StoryBundle, notes, loreNotes };
}

/** SillyTavern's numbers for LUNA's positions and logics (world_info_position / world_info_logic). */
const ST_POSITION = { before: 0, after: 1, recent: 4 } as const;
const ST_LOGIC = { 'and-any': 0, 'not-all': 1, 'not-any': 2, 'and-all': 3 } as const;

/** The story as a V3 card: the original card's fields where the story still says what they said, else the story's. */
export function bundleToCard(b: StoryBundle): { spec: 'chara_card_v3'; spec_version: '3.0'; data: Record<string, unknown> } {
  const orig = (b.card?.data ?? {}) as Partial<CardData> & Record<string, unknown>;
  const origName = typeof orig.name === 'string' ? orig.name : b.title;
  const name = substituteMacros(origName, origName) === b.title ? origName : b.title;
  const sub = (t: string) => substituteMacros(t, b.title);
  const keep = (o: unknown, current: string) => (typeof o === 'string' && sub(o) === current ? o : current);
  const fieldLore = (field: string) => b.lore?.find((l) => l.comment === `${FIELD_MARK}${field}`);
  const me = b.entities?.find((e) => e.name === b.title) ?? b.entities?.find((e) => e.kind === 'character');
  let description = me?.description ?? '';
  let personality = '';
  if (me && typeof orig.description === 'string' && sub(describeCharacter(orig.description, orig.personality ?? '')) === me.description) {
    description = orig.description;
    personality = orig.personality ?? '';
  } else {
    const at = description.lastIndexOf(PERSONALITY);
    if (at >= 0) [description, personality] = [description.slice(0, at), description.slice(at + PERSONALITY.length)];
  }
  const opening = b.turns[0] && b.turns[0].action === '' ? b.turns[0].prose : '';
  const alternates = (b.branches ?? []).filter((br) => br.from === 0 && br.turns[0]?.action === '').map((br) => br.turns[0]!.prose);
  const origAlternates = Array.isArray(orig.alternate_greetings) ? orig.alternate_greetings : [];
  const book = (b.lore ?? []).filter((l) => !l.comment?.startsWith(FIELD_MARK));
  const data: Record<string, unknown> = {
    ...orig,
    name,
    description,
    personality,
    scenario: keep(orig.scenario, fieldLore('scenario')?.body ?? b.premise),
    first_mes: keep(orig.first_mes, opening),
    mes_example: keep(orig.mes_example, fieldLore('mes_example')?.body ?? b.style ?? ''),
    creator_notes: orig.creator_notes ?? '',
    system_prompt: orig.system_prompt ?? '',
    post_history_instructions: orig.post_history_instructions ?? '',
    alternate_greetings: alternates.map((g, i) => keep(origAlternates[i], g)),
    group_only_greetings: orig.group_only_greetings ?? [],
    tags: b.card?.tags ?? orig.tags ?? [],
    creator: orig.creator ?? '',
    character_version: orig.character_version ?? '',
    extensions: orig.extensions ?? {},
  };
  if (book.length) {
    data.character_book = {
      name: `${b.title} lore`,
      extensions: {},
      entries: book.map((l, i) => ({
        keys: l.keywords ?? [], content: l.body, extensions: {
          selectiveLogic: ST_LOGIC[l.logic ?? 'and-any'], position: ST_POSITION[l.position ?? 'before'], depth: 4, probability: l.probability ?? 100, useProbability: true,
          exclude_recursion: l.excludeRecursion ?? false, prevent_recursion: l.preventRecursion ?? false, match_whole_words: l.wholeWords ?? true, case_sensitive: l.caseSensitive ?? false,
        },
        enabled: l.enabled ?? true, insertion_order: l.order ?? 100, case_sensitive: l.caseSensitive ?? false, use_regex: false, name: l.title, priority: l.priority ?? 0,
        id: i, comment: l.comment ?? '', selective: (l.secondaryKeys ?? []).length > 0, secondary_keys: l.secondaryKeys ?? [], constant: l.constant ?? false,
        position: l.position === 'after' ? 'after_char' : 'before_char',
      })),
    };
  } else delete data.character_book;
  return { spec: 'chara_card_v3', spec_version: '3.0', data };
}
