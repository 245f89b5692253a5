import type { StoryBundle } from '../src/store/types.js';
import { prng } from './prng.js';
import { FILLER, FIRST, PLACES, VERBS, WEATHER } from './story-gen.js';

/**
 * Stories for the recall benchmark: filler turns with planted facts of six kinds, every planted name (and alias
 * and object) also mentioned in passing elsewhere, and two tiers of questions per fact. The direct tier names
 * the object or subject of the fact; the indirect tier names only the person (first name) or only their alias.
 * Facts live in prose only: the store knows each person and alias as an entity (as the Writer's commits and the
 * Dreamer's extract-facts record them) but holds none of these facts, so retrieval has to find the passages.
 */

export type FactKind = 'hidden' | 'relation' | 'password' | 'changed' | 'alias' | 'two-turn';
export const FACT_KINDS: FactKind[] = ['hidden', 'relation', 'password', 'changed', 'alias', 'two-turn'];

export interface RecallQuestion {
  kind: FactKind;
  tier: 'direct' | 'indirect';
  /** Used as the player's action. */
  action: string;
  /** Text the assembled context must contain for the fact to count as recalled. */
  expect: string;
  /** 1-based turn(s) where the fact was stated. */
  turns: number[];
}

export interface RecallStory {
  bundle: StoryBundle;
  questions: RecallQuestion[];
}

const LAST = ['Ashdown', 'Blackwood', 'Carrow', 'Dunmore', 'Everly', 'Fairholt', 'Greaves', 'Hale', 'Ingram', 'Jessop', 'Kettering'];
const EPITHET_ADJ = ['Grey', 'Silent', 'Crooked', 'Lantern', 'Salt', 'Hollow', 'Tallow', 'Copper', 'Midnight', 'Drowned'];
const EPITHET_NOUN = ['Widow', 'Ferryman', 'Magpie', 'Abbot', 'Heron', 'Tinker', 'Warden', 'Fiddler'];
const MATERIALS = ['brass', 'silver', 'ivory', 'copper', 'obsidian', 'jade', 'pewter', 'amber', 'bone', 'glass', 'iron', 'coral'];
const ITEMS = ['compass', 'key', 'locket', 'spyglass', 'thimble', 'music box', 'seal', 'hourglass', 'astrolabe', 'snuffbox', 'chess knight', 'lantern', 'dagger', 'bell', 'mask', 'figurine'];
const SPOTS = ['behind the rain barrel', 'under the third flagstone', 'inside the cold chimney', 'beneath the rotten jetty', 'in the hollow of the yew', 'under the altar cloth', 'inside the broken clock', 'in the eaves above the forge'];
const RELATIONS = ['half-sister', 'sworn enemy', 'secret creditor', 'estranged father', 'former apprentice', 'blackmailer', 'twin brother', 'godmother'];
const SYLLABLES = ['sal', 'thorn', 'wick', 'mer', 'dun', 'vel', 'ost', 'kra', 'lio', 'bry', 'zen', 'quar', 'fen', 'gal', 'rho', 'tam'];
const PASSING = [
  (n: string) => `${n} nods to the ferryman and says nothing.`,
  (n: string) => `${n} laughs at a joke about the weather.`,
  (n: string) => `Somebody mentions ${n} in passing at the tavern.`,
  (n: string) => `${n} buys bread and walks home in the rain.`,
  (n: string) => `A letter for ${n} sits unclaimed at the harbour office.`,
  (n: string) => `${n} complains about the price of lamp oil.`,
];

interface Person { name: string; first: string; alias: string; pronoun: 'she' | 'he' }

export function recallFactCount(turns: number): number {
  return Math.max(30, Math.min(180, Math.round(turns / 10)));
}

export function generateRecallStory(opts: { turns: number; facts?: number; seed?: number }): RecallStory {
  const r = prng(opts.seed ?? 11);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
  const n = opts.turns;
  const people: Person[] = FIRST.map((first, i) => ({
    first, name: `${first} ${LAST[i % LAST.length]}`, alias: `the ${EPITHET_ADJ[i % EPITHET_ADJ.length]} ${EPITHET_NOUN[Math.floor(i / EPITHET_ADJ.length) % EPITHET_NOUN.length]}`,
    pronoun: i % 2 ? 'she' : 'he',
  }));
  const turns = Array.from({ length: n }, (_, i) => {
    const where = pick(PLACES);
    return {
      action: `${pick(['I', 'We'])} ${pick(['look around', 'press on', 'ask about the tides', 'check the road', 'keep watch', 'talk to the locals'])} at ${where}`,
      // ~200 tokens a turn, about what a Writer produces, so context-share figures mean something.
      prose: `${pick(WEATHER)} Maren Vale ${pick(VERBS)} ${where}, thinking about the voyage. ${Array.from({ length: 7 }, () => pick(FILLER)).join(' ')} Day ${i + 1} passes with little news.`,
    };
  });
  const append = (t: number, s: string) => (turns[t - 1]!.prose += ` ${s}`);
  const prepend = (t: number, s: string) => (turns[t - 1]!.prose = `${s} ${turns[t - 1]!.prose}`);
  // Facts sit between the opening and the recent window (recent turns are always in the context).
  const lo = 3;
  const hi = n - 12;
  const used = new Set<number>();
  const count = opts.facts ?? recallFactCount(n);
  // Each fact takes a turn and keeps its neighbours free: too short a story would search for a free turn forever.
  if (hi - lo < 4 * count) throw new RangeError(`a recall story of ${n} turns is too short for ${count} planted facts (needs ${4 * count + 15})`);
  const freeTurn = (): number => {
    for (;;) {
      const t = lo + Math.floor(r() * (hi - lo));
      if (!used.has(t) && !used.has(t + 1) && !used.has(t - 1)) {
        used.add(t);
        return t;
      }
    }
  };
  const questions: RecallQuestion[] = [];
  const objects: string[] = [];
  for (let f = 0; f < count; f++) {
    const p = people[f % people.length]!;
    const kind = FACT_KINDS[(f + Math.floor(f / people.length)) % FACT_KINDS.length]!;
    const obj = `the ${MATERIALS[f % MATERIALS.length]} ${ITEMS[Math.floor(f / MATERIALS.length) % ITEMS.length]}`;
    const place = PLACES[(f * 3) % PLACES.length]!;
    const spot = `${SPOTS[f % SPOTS.length]} at ${place}`;
    const spot2 = `${SPOTS[(f + 3) % SPOTS.length]} at ${PLACES[(f * 3 + 5) % PLACES.length]}`;
    // Half the indirect questions name the person, half only their alias (the alias kind always the alias).
    const who = kind === 'alias' || f % 2 ? p.alias : p.first;
    const Who = who.startsWith('the ') ? `The${who.slice(3)}` : who;
    const t = freeTurn();
    const q = (tier: RecallQuestion['tier'], action: string, expect: string, at = [t]) => questions.push({ kind, tier, action, expect, turns: at });
    objects.push(obj);
    switch (kind) {
      case 'hidden':
        append(t, `${p.name} hides ${obj} ${spot}.`);
        q('direct', `Where is ${obj} hidden?`, spot);
        q('indirect', `What did ${who} hide?`, obj);
        break;
      case 'relation': {
        const other = people[(f * 7 + 5) % people.length]!;
        const rel = RELATIONS[f % RELATIONS.length]!;
        append(t, `${p.name} turns out to be the ${rel} of ${other.name}.`);
        q('direct', `Who is the ${rel} of ${other.name}?`, `${rel} of ${other.name}`);
        q('indirect', `${Who} — how is that one connected to anyone?`, `${rel} of ${other.name}`);
        break;
      }
      case 'password': {
        const vault = `${bare(place)} strongroom`;
        const pw = `${pick(SYLLABLES)}${pick(SYLLABLES)}${pick(SYLLABLES)}${f}`;
        append(t, `${p.name} whispers that the password to the ${vault} is "${pw}".`);
        q('direct', `What is the password to the ${vault}?`, pw);
        q('indirect', `What secret word did ${who} whisper?`, pw);
        break;
      }
      case 'changed': {
        // The older statement comes first; the question asks for the newer one.
        const other = freeTurn();
        const [a, b] = other > t ? [t, other] : [other, t];
        append(a, `${p.name} keeps ${obj} ${spot}.`);
        append(b, `${p.name} moves ${obj} to a new place, ${spot2}.`);
        q('direct', `Where is ${obj} kept now?`, spot2, [a, b]);
        q('indirect', `Where has ${who} moved their keepsake to?`, spot2, [a, b]);
        break;
      }
      case 'alias':
        prepend(freeTurn(), `Along the coast, ${p.name} is known as ${p.alias}.`);
        append(t, `${p.name} buries ${obj} ${spot}.`);
        q('direct', `Where is ${obj} buried?`, spot);
        q('indirect', `What did ${p.alias} bury?`, obj);
        break;
      case 'two-turn':
        append(t, `${p.name} picks up ${obj} at the ${bare(place)} market.`);
        prepend(t + 1, `Later ${p.pronoun} seals it ${spot}.`);
        used.add(t + 1);
        q('direct', `Where was ${obj} sealed away?`, spot, [t, t + 1]);
        q('indirect', `What did ${who} seal away, and where?`, obj, [t, t + 1]);
        break;
    }
  }
  // Distractors: every planted name, alias and object is also mentioned in passing, several times.
  const distractorTurns = () => lo + Math.floor(r() * (n - lo - 4));
  for (const p of people) {
    for (let k = 0; k < 6; k++) append(distractorTurns(), pick(PASSING)(k % 3 === 2 ? p.first : p.name));
    for (let k = 0; k < 2; k++) append(distractorTurns(), `Sailors tell tall tales about ${p.alias} over their ale.`);
  }
  for (const o of objects) for (let k = 0; k < 2; k++) append(distractorTurns(), `A peddler hawks a cheap imitation of ${o}, which nobody buys.`);
  return {
    bundle: {
      title: 'The Long Voyage',
      premise: 'Maren Vale captains a battered ship along a haunted coast, listening to everyone she meets.',
      style: 'atmospheric, third person, present tense',
      entities: [
        { name: 'Maren Vale', kind: 'character', aliases: ['the captain'], description: 'Captain of the Heron, stubborn and fair.' },
        ...people.map((p) => ({ name: p.name, kind: 'character' as const, aliases: [p.alias] })),
      ],
      turns,
    },
    questions,
  };
}

/** A place's name without its article, for "the … strongroom" (not "the the Ember Market strongroom"). */
function bare(place: string): string {
  return place.replace(/^the /, '');
}
