import type { LoreLogic, LorePosition, NewLore } from '../../store/types.js';
import { bad, clamp, Fields, titleFrom, type Converted } from './fields.js';

/** SillyTavern's selectiveLogic numbers (world_info_logic in public/scripts/world-info.js). */
const LOGIC: Record<number, LoreLogic> = { 0: 'and-any', 1: 'not-all', 2: 'not-any', 3: 'and-all' };
/** world_info_position → LUNA position, and what to tell the user when the mapping is approximate. */
const POSITION: Record<number, [LorePosition, string | null]> = {
  0: ['before', null],
  1: ['after', null],
  2: ['recent', "position top of Author's Note: placed just before the recent turns"],
  3: ['recent', "position bottom of Author's Note: placed just before the recent turns"],
  4: ['recent', null],
  5: ['after', 'position before example messages: LUNA has no example messages; placed after the character sheets'],
  6: ['after', 'position after example messages: LUNA has no example messages; placed after the character sheets'],
  7: ['before', 'position outlet: LUNA has no outlets; placed in the World section'],
};

/** Fields SillyTavern writes that LUNA has no rule for, with the value that means "not used". */
const UNSUPPORTED: [field: string, unused: (v: unknown) => boolean, what: string][] = [
  ['group', (v) => v === '' , 'inclusion group'],
  ['groupOverride', (v) => v === false, 'group override'],
  ['useGroupScoring', (v) => v === false, 'group scoring'],
  ['scanDepth', (v) => v === null, 'own scan depth (LUNA scans the action and recent turns)'],
  ['sticky', (v) => v === 0, 'sticky turns'],
  ['cooldown', (v) => v === 0, 'cooldown'],
  ['delay', (v) => v === 0, 'delay'],
  ['delayUntilRecursion', (v) => v === false || v === 0, 'delay until recursion (triggered directly as well)'],
  ['vectorized', (v) => v === false, 'vector activation (keys only)'],
  ['role', (v) => v === 0, 'message role'],
  ['automationId', (v) => v === '', 'automation id'],
  ['matchPersonaDescription', (v) => v === false, 'matching the persona description'],
  ['matchCharacterDescription', (v) => v === false, 'matching the character description'],
  ['matchCharacterPersonality', (v) => v === false, 'matching the character personality'],
  ['matchScenario', (v) => v === false, 'matching the scenario'],
  ['matchCreatorNotes', (v) => v === false, "matching the creator's notes"],
  ['matchCharacterDepthPrompt', (v) => v === false, 'matching the depth prompt'],
  ['ignoreBudget', (v) => v === false, 'ignoring the budget'],
];

export function isSillyTavern(raw: unknown): boolean {
  const e = (raw as { entries?: unknown })?.entries;
  if (typeof e !== 'object' || e === null || Array.isArray(e)) return false;
  const first = Object.values(e)[0] as Record<string, unknown> | undefined;
  return first === undefined || 'key' in first || 'content' in first || 'uid' in first;
}

export function fromSillyTavern(raw: Record<string, unknown>): Converted {
  const values = Object.values(raw.entries as Record<string, unknown>);
  const entries = values.map((v, i) => {
    const f = Fields.of(v, `entry ${i + 1}`);
    const where = `entry ${i + 1}${f.has('uid') ? ` (uid ${String(f.o.uid)})` : ''}`;
    const e = new Fields(f.o, where);
    const notes: string[] = [];
    const keys = e.strs('key');
    const { title, named } = titleFrom(e.str('comment'), keys, i + 1);
    const selective = e.bool('selective', true);
    const secondary = e.strs('keysecondary');
    if (!selective && secondary.length) notes.push('secondary keys ignored: "selective" is off in the file');
    const logicNo = e.num('selectiveLogic', 0);
    const logic = LOGIC[logicNo];
    if (!logic) throw bad(`${where}: "selectiveLogic" must be 0–3, found ${logicNo}`);
    const posNo = e.num('position', 0);
    const pos = POSITION[posNo];
    if (!pos) throw bad(`${where}: "position" must be 0–7, found ${posNo}`);
    if (pos[1]) notes.push(pos[1]);
    if (posNo === 4) notes.push(`position @depth ${e.num('depth', 4)}: placed just before the recent turns`);
    const useProbability = e.bool('useProbability', true);
    const probability = useProbability ? e.num('probability', 100) : 100;
    if (probability < 0 || probability > 100) throw bad(`${where}: "probability" must be 0–100, found ${probability}`);
    for (const [field, unused, what] of UNSUPPORTED) {
      if (e.has(field) && !unused(e.o[field])) notes.push(`${what} not supported (${field}: ${JSON.stringify(e.o[field])})`);
    }
    const filter = e.o.characterFilter as { names?: unknown[]; tags?: unknown[] } | undefined;
    if (filter && ((filter.names?.length ?? 0) > 0 || (filter.tags?.length ?? 0) > 0)) notes.push('character filter not supported: the entry applies to the whole story');
    const lore: NewLore = {
      title, body: e.str('content'), keywords: keys, constant: e.bool('constant', false),
      secondaryKeys: selective ? secondary : [], logic,
      caseSensitive: e.bool('caseSensitive', false), wholeWords: e.bool('matchWholeWords', true),
      order: clamp(e.num('order', 100), -1_000_000, 1_000_000), position: pos[0], probability: clamp(probability, 0, 100),
      excludeRecursion: e.bool('excludeRecursion', false), preventRecursion: e.bool('preventRecursion', false),
      enabled: !e.bool('disable', false),
    };
    if (!keys.length && !lore.constant) notes.push('no keys: the title is its key');
    return { lore, named, notes };
  });
  return { format: 'sillytavern', name: typeof raw.name === 'string' ? raw.name : undefined, entries };
}
