import type { StoryBundle } from '../src/store/types.js';
import { prng } from './prng.js';

/**
 * Deterministic long-story generator for the memory suite and benchmarks: filler turns in a consistent
 * world, with planted facts (structured, as entity facts, and prose-only) and facts that later change.
 */

export interface PlantedFact {
  /** 1-based turn where the fact is stated. */
  turn: number;
  entity: string;
  key: string;
  value: string;
  /** Probe action a player might type much later. */
  probe: string;
  /** Text the curated context must contain for the fact to count as recalled. */
  expect: string;
  /** Structured facts go into entity sheets; prose-only ones must be found by retrieval. */
  structured: boolean;
  /** Set when a later turn changes this fact: the stale value must not be presented as current. */
  supersededAt?: number;
}

export interface GeneratedStory {
  bundle: StoryBundle;
  facts: PlantedFact[];
}

export const FIRST = ['Tobias', 'Ilsa', 'Corwin', 'Mirela', 'Aldric', 'Senna', 'Bram', 'Yeva', 'Osric', 'Lune', 'Dagny', 'Fenwick', 'Orla', 'Piet', 'Rhosyn', 'Quill', 'Hestia', 'Joren', 'Kaia', 'Marek', 'Nell', 'Isolde', 'Ruairi', 'Saoirse', 'Tamsin', 'Ulric', 'Vesna', 'Wystan', 'Xanthe', 'Yorick', 'Zelda', 'Anselm', 'Beatrix', 'Cyprian', 'Delphine', 'Emrys', 'Fiora', 'Gideon', 'Honora', 'Ivo'];
const LAST = ['Ashdown', 'Blackwood', 'Carrow', 'Dunmore', 'Everly', 'Fairholt', 'Greaves', 'Hale', 'Ingram', 'Jessop'];
/** Shared with recall-gen.ts: the same world, so both benches' stories read alike. */
export const PLACES = ['Gravenmoor', 'Saltmarsh Quay', 'the Hollow Library', 'Kestrel Tower', 'the Ember Market', 'Old Vell', 'the Drowned Chapel', 'Thornfield', 'the Glass Orchard', 'Wrenhaven'];
const ITEMS = ['a brass compass', 'a silver key', 'a cracked lantern', 'a map of the tides', 'a bone whistle', 'a sealed letter', 'a copper ring', 'a raven feather', 'an iron locket', 'a jade seal'];
const PETS = ['a one-eyed cat named Pickle', 'a grey heron called Sorrow', 'a lame greyhound, Biscuit', 'a tortoise named Admiral', 'a jackdaw called Flint'];
export const VERBS = ['walks along', 'searches', 'argues near', 'waits outside', 'sketches', 'listens at', 'hurries past', 'rests beside'];
export const FILLER = [
  'The crew mends sails and trades rumours about the smugglers who work these waters at night.',
  'Gulls wheel above the masts, and somewhere below deck someone is singing an old harbour song off-key.',
  'Lanterns sway in the rigging while the cook argues with the quartermaster over the last barrel of salt pork.',
  'The coastline slides past, grey cliffs broken by coves where wrecks lie half-buried in the shingle.',
  'A fisherman on the quay swears he saw lights moving on the water where no boat should be.',
  'Charts are spread across the table and weighed down with tin cups, every inlet marked in faded ink.',
  'The bosun counts the coils of rope twice, mutters, and counts them again.',
  'Children chase each other along the harbour wall, daring one another to touch the chapel bell.',
  'Tar and wet wool and woodsmoke: the whole town smells of winter coming early.',
  'A merchant offers a bargain on lamp oil, too good a price to be honest, and is sent away.',
];
export const WEATHER = ['Rain hammers the shutters.', 'Fog rolls in from the sea.', 'The wind smells of salt and smoke.', 'A pale sun breaks through.', 'Snow begins to fall.'];


export function generateStory(opts: { turns: number; facts: { turn: number; structured?: boolean; change?: number }[]; seed?: number }): GeneratedStory {
  const r = prng(opts.seed ?? 7);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
  const names = FIRST.flatMap((f) => LAST.map((l) => `${f} ${l}`));
  const cast = ['Maren Vale', 'Korvin Ashe'];
  const turns = Array.from({ length: opts.turns }, (_, i) => {
    const who = pick(cast);
    const where = pick(PLACES);
    return {
      action: `${pick(['I', 'We'])} ${pick(['look around', 'press on', 'ask about the tides', 'check the road', 'keep watch', 'talk to the locals'])} at ${where}`,
      // ~200 tokens a turn, about what a Writer produces, so compression figures mean something.
      prose: `${pick(WEATHER)} ${who} ${pick(VERBS)} ${where}, thinking about the voyage. ${Array.from({ length: 7 }, () => pick(FILLER)).join(' ')} Day ${i + 1} passes with little news.`,
    };
  });
  const facts: PlantedFact[] = [];
  const entities = new Map<string, NonNullable<StoryBundle['entities']>[number]>();
  const sheet = (name: string) => {
    let e = entities.get(name);
    if (!e) entities.set(name, (e = { name, kind: 'character', facts: [] }));
    return e;
  };
  opts.facts.forEach((spec, n) => {
    const name = names[(n * 7 + 3) % names.length]!;
    const first = name.split(' ')[0]!;
    const t = turns[spec.turn - 1];
    if (!t) throw new Error(`fact turn ${spec.turn} outside the story`);
    const kind = n % 3;
    const structured = spec.structured ?? true;
    if (kind === 0) {
      const place = PLACES[n % PLACES.length]!;
      t.prose += ` ${name} admits, quietly, that they were born in ${place}.`;
      facts.push({ turn: spec.turn, entity: name, key: 'birthplace', value: place, probe: `I ask ${first} where they were born`, expect: place, structured });
    } else if (kind === 1) {
      const pet = PETS[n % PETS.length]!;
      t.prose += ` ${name} is followed everywhere by ${pet}.`;
      facts.push({ turn: spec.turn, entity: name, key: 'pet', value: pet, probe: `I look for ${first}'s pet`, expect: pet.split(/ named | called |, /).pop()!, structured });
    } else {
      const item = ITEMS[n % ITEMS.length]!;
      t.prose += ` ${name} hides ${item} beneath the floorboards of ${PLACES[(n + 3) % PLACES.length]}.`;
      const fact: PlantedFact = { turn: spec.turn, entity: name, key: 'hidden item', value: `${item} under the floorboards of ${PLACES[(n + 3) % PLACES.length]}`, probe: `I ask ${first} about the thing they hid`, expect: item, structured };
      if (spec.change) {
        const later = turns[spec.change - 1]!;
        later.prose += ` Korvin Ashe pries up the boards and steals ${item} from ${name}.`;
        fact.supersededAt = spec.change;
        facts.push(fact);
        facts.push({ turn: spec.change, entity: name, key: 'hidden item', value: `stolen by Korvin Ashe`, probe: fact.probe, expect: 'stolen by Korvin Ashe', structured });
        if (structured) sheet(name).facts!.push({ key: 'hidden item', value: fact.value, turn: spec.turn }, { key: 'hidden item', value: 'stolen by Korvin Ashe', turn: spec.change });
        return;
      }
      facts.push(fact);
    }
    const last = facts.at(-1)!;
    if (structured) sheet(name).facts!.push({ key: last.key, value: last.value, turn: spec.turn });
  });
  return {
    bundle: {
      title: 'The Long Voyage',
      premise: 'Maren Vale captains a battered ship along a haunted coast, hunting the smuggler Korvin Ashe.',
      style: 'atmospheric, third person, past tense',
      lore: [
        { title: 'The Drowned Chapel', keywords: ['chapel', 'drowned'], body: 'A chapel half-sunk in the bay; its bell rings at low tide.' },
        { title: 'Tides', keywords: ['tide', 'tides'], body: 'The tides here turn twice as fast as anywhere else; sailors keep tide-maps close.' },
      ],
      entities: [
        { name: 'Maren Vale', kind: 'character', aliases: ['the captain'], description: 'Captain of the Heron, stubborn and fair.' },
        { name: 'Korvin Ashe', kind: 'character', description: 'A smuggler with a scarred hand.' },
        ...entities.values(),
      ],
      turns,
    },
    facts,
  };
}
