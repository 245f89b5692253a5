import type { LoreLogic, LorePosition, NewLore } from '../../store/types.js';
import { bad, clamp, Fields, titleFrom, type Converted } from './fields.js';

/**
 * The `character_book` of Character Card V2/V3 (also a standalone lorebook file in that shape). SillyTavern
 * keeps its World Info extras under each entry's `extensions` (selectiveLogic, position, probability,
 * recursion flags…): they are read too, so a book exported from SillyTavern keeps its rules.
 */
const ST_LOGIC: Record<number, LoreLogic> = { 0: 'and-any', 1: 'not-all', 2: 'not-any', 3: 'and-all' };
const ST_POSITION: Record<number, LorePosition> = { 0: 'before', 1: 'after', 2: 'recent', 3: 'recent', 4: 'recent', 5: 'after', 6: 'after', 7: 'before' };

export function isCharacterBook(raw: unknown): boolean {
  const e = (raw as { entries?: unknown })?.entries;
  return Array.isArray(e) && (e.length === 0 || (typeof e[0] === 'object' && e[0] !== null && 'keys' in e[0] && 'content' in e[0]));
}

export function fromCharacterBook(raw: Record<string, unknown>, where = 'character_book'): Converted {
  const book = Fields.of(raw, where);
  if (!Array.isArray(raw.entries)) throw bad(`${where}: "entries" must be a list`);
  const bookNotes: string[] = [];
  if (book.has('scan_depth')) bookNotes.push(`book scan depth ${String(book.o.scan_depth)} not supported (LUNA scans the action and recent turns)`);
  if (book.has('token_budget')) bookNotes.push(`book token budget ${String(book.o.token_budget)} not used (context.budgetTokens and context.maxLore apply)`);
  const recursive = book.bool('recursive_scanning', true);
  const entries = (raw.entries as unknown[]).map((v, i) => {
    const e = new Fields(Fields.of(v, `${where} entry ${i + 1}`).o, `${where} entry ${i + 1}`);
    const ext = e.obj('extensions');
    const notes: string[] = i === 0 ? [...bookNotes] : [];
    const caseSensitive = e.has('case_sensitive') ? e.bool('case_sensitive', false) : ext.bool('case_sensitive', false);
    let keys = e.strs('keys');
    let secondary = e.strs('secondary_keys');
    if (e.bool('use_regex', false)) {
      // V3: every key is a regular expression; LUNA writes regex keys as /pattern/flags.
      const flags = caseSensitive ? '' : 'i';
      keys = keys.map((k) => `/${k}/${flags}`);
      secondary = secondary.map((k) => `/${k}/${flags}`);
    }
    const selective = e.bool('selective', secondary.length > 0);
    if (!selective && secondary.length) notes.push('secondary keys ignored: "selective" is off in the file');
    const { title, named } = titleFrom(e.str('name') || e.str('comment'), keys, i + 1);
    const logicNo = ext.num('selectiveLogic', 0);
    const logic = ST_LOGIC[logicNo];
    if (!logic) throw bad(`${e.where}: "extensions.selectiveLogic" must be 0–3, found ${logicNo}`);
    let position: LorePosition = 'before';
    // The spec says "before_char"/"after_char"; some editors write SillyTavern's position number instead.
    const pos = e.o.position;
    if (typeof pos === 'number' && ST_POSITION[pos]) position = ST_POSITION[pos];
    else if (pos === 'after_char') position = 'after';
    else if (pos !== undefined && pos !== null && pos !== '' && pos !== 'before_char') {
      throw bad(`${e.where}: "position" must be "before_char" or "after_char", found ${JSON.stringify(pos)}`);
    }
    if (ext.has('position')) {
      const p = ST_POSITION[ext.num('position', 0)];
      if (p) position = p;
    }
    const priority = e.num('priority', 0);
    if (priority < -100 || priority > 100) notes.push(`priority ${priority} clamped to ${clamp(priority, -100, 100)} (LUNA's range is -100…100)`);
    const useProbability = ext.bool('useProbability', true);
    const probability = useProbability ? ext.num('probability', 100) : 100;
    if (probability < 0 || probability > 100) throw bad(`${e.where}: "extensions.probability" must be 0–100, found ${probability}`);
    const body = e.str('content');
    if (/^@@\w/m.test(body)) notes.push('V3 decorators (@@…) kept as text: LUNA does not interpret them');
    for (const k of ['group', 'sticky', 'cooldown', 'delay', 'scan_depth', 'vectorized', 'delay_until_recursion']) {
      const v = ext.o[k];
      if (v !== undefined && v !== null && v !== '' && v !== 0 && v !== false) notes.push(`${k} not supported (${JSON.stringify(v)})`);
    }
    const lore: NewLore = {
      title, body, keywords: keys, constant: e.bool('constant', false), secondaryKeys: selective ? secondary : [], logic, caseSensitive,
      wholeWords: ext.bool('match_whole_words', true), order: clamp(e.num('insertion_order', 100), -1_000_000, 1_000_000),
      priority: clamp(priority, -100, 100), position, probability: clamp(probability, 0, 100),
      excludeRecursion: ext.bool('exclude_recursion', false), preventRecursion: ext.bool('prevent_recursion', false) || !recursive,
      enabled: e.bool('enabled', true), comment: e.str('name') ? e.str('comment') : '',
    };
    return { lore, named, notes };
  });
  return { format: 'character-book', name: book.str('name') || undefined, entries };
}
