import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contextSchema } from '../../src/config/schema.js';
import { curateContext } from '../../src/pipeline/preprocessor.js';
import { splitSentences } from '../../src/pipeline/retrieval.js';
import { sameStem, stem } from '../../src/pipeline/sentence-score.js';
import { openStore } from '../../src/store/open.js';
import type { Store, Story, StoryBundle } from '../../src/store/types.js';
import { luna, tempHome } from '../helpers/cli.js';

const FILLER = 'The crew mends sails and trades rumours about smugglers. Gulls wheel above the masts while the cook argues over salt pork. The coastline slides past, grey cliffs broken by coves.';
const config = contextSchema.parse({});

/** Sixty turns of filler; Ilsa is mentioned in passing in many, and states her one fact once, long before the recent window. */
function bundle(): StoryBundle {
  const turns = Array.from({ length: 60 }, (_, i) => ({ action: 'I look around the harbour', prose: `${FILLER} Day ${i + 1} passes.` }));
  for (const i of [3, 9, 17, 22, 31, 40, 47]) turns[i]!.prose += ' Ilsa Carrow nods to the ferryman and says nothing.';
  for (const i of [5, 28]) turns[i]!.prose += ' Sailors tell tall tales about the Salt Widow over their ale.';
  turns[12]!.prose += ' Ilsa Carrow hides the brass key behind the rain barrel at Kestrel Tower.';
  // A fact told across two turns: the second half names no one.
  turns[20]!.prose += ' Bram Hale picks up the jade compass at the Ember Market.';
  turns[21]!.prose = `Later he seals it inside the cold chimney at Gravenmoor. ${turns[21]!.prose}`;
  return {
    title: 'Harbour', premise: 'Maren listens to everyone on the quay.',
    entities: [
      { name: 'Ilsa Carrow', kind: 'character', aliases: ['the Salt Widow'] },
      { name: 'Bram Hale', kind: 'character' },
    ],
    turns,
  };
}

let dir: string;
let store: Store;
let story: Story;
beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'luna-retrieval-'));
  store = await openStore({ url: `sqlite:${path.join(dir, 'r.db')}`, poolSize: 1 }, dir, { autoMigrateSqlite: true });
  story = await store.importStory(bundle());
});
afterAll(async () => {
  await store.close();
});

const curate = (action: string) => curateContext({ store, story, headId: story.headTurnId, action, config });

/** A store of its own in a temp dir, closed after `fn`; `spy` records the calls of one store method first. */
async function withStore(fn: (s: Store) => Promise<void>, spy?: { method: 'getPassageTurns' | 'searchPassages'; calls: unknown[][] }): Promise<void> {
  const d = mkdtempSync(path.join(tmpdir(), 'luna-retrieval-own-'));
  const inner = await openStore({ url: `sqlite:${path.join(d, 'own.db')}`, poolSize: 1 }, d, { autoMigrateSqlite: true });
  const s = spy
    ? new Proxy(inner, {
      get(t, p) {
        const v = Reflect.get(t, p);
        if (p === spy.method) return (...args: unknown[]) => (spy.calls.push(args), (v as (...a: unknown[]) => unknown).apply(t, args));
        return typeof v === 'function' ? v.bind(t) : v;
      },
    })
    : inner;
  try {
    await fn(s);
  } finally {
    await inner.close();
  }
}

describe('passage retrieval on a real SQLite store', () => {
  it('an alias-only question pulls the passage that states the fact under the real name, not the passing mentions', async () => {
    const c = await curate('What did the Salt Widow hide?');
    expect(c.text).toContain('Ilsa Carrow hides the brass key behind the rain barrel at Kestrel Tower.');
    expect(c.context.retrieval.named).toEqual([{ name: 'Ilsa Carrow', via: 'the Salt Widow' }]);
    const best = c.context.retrieval.passages![0]!;
    expect(best).toMatchObject({ turn: 13, included: true });
    expect(best.why).toContain('names Ilsa Carrow');
    expect(best.why).toContain('matches hide');
    // A passage, not the whole turn: the turn's filler stays out of the relevant section.
    const relevant = c.context.sections.find((s) => s.name === 'relevant')!;
    expect(relevant.text).toContain('[turn 13] Ilsa Carrow hides the brass key');
    expect(relevant.text).not.toContain('Day 13 passes');
    // Passing mentions carry no fact and stay under the bar.
    expect(relevant.text).not.toContain('nods to the ferryman');
  });

  it('a question naming only the object finds it; a fact told across two turns comes with its referent', async () => {
    expect((await curate('Where is the brass key?')).text).toContain('behind the rain barrel at Kestrel Tower');
    const c = await curate('Where was the jade compass sealed away?');
    expect(c.text).toContain('Bram Hale picks up the jade compass at the Ember Market. Later he seals it inside the cold chimney at Gravenmoor.');
  });

  it('the turns where a named character\'s facts were recorded are read with the search, not after it', async () => {
    const reads: unknown[][] = [];
    await withStore(async (s) => {
      const b = bundle();
      // A fact recorded at a turn the question's words do not find: it says "he", and not the question's words.
      b.turns[40]!.prose += ' He counts his coins: nine crowns still due to the ferryman.';
      const st = await s.importStory(b);
      const branch = await s.getBranch(st.id, st.headTurnId);
      await s.upsertEntities(st.id, branch[40]!.id, [], [{ entityName: 'Bram Hale', key: 'debt', value: 'nine crowns' }]);
      const ask = () => curateContext({ store: s, story: st, headId: st.headTurnId, action: 'What is the debt of Bram Hale?', config });
      await ask(); // the first read of the story: no hint yet, the fact turn is read with the search all the same
      expect(reads).toEqual([]);
      const c = await ask();
      expect(reads).toEqual([]);
      expect(c.context.retrieval.passages!.map((p) => p.turn)).toContain(41);
    }, { method: 'getPassageTurns', calls: reads });
  });

  it('when other branches hold every top hit, the search goes deeper for this branch\'s', async () => {
    await withStore(async (s) => {
      const st = await s.importStory(bundle());
      const branch = await s.getBranch(st.id, st.headTurnId);
      // Forty newer takes on a side branch say the same words as turn 13 (same score, newer): the first search's
      // hits are all theirs, and none is on the branch being played.
      let head = st.headTurnId;
      let parent = branch[30]!.id;
      for (let i = 0; i < 40; i++) {
        const t = await s.commitTurn({ storyId: st.id, expectedHeadId: head, parentId: parent, action: 'I look around the harbour',
          prose: `${FILLER} Ilsa Carrow hides the brass key under a loose floorboard.`, plan: null, entities: [], facts: [], ledger: [], jobs: [] });
        head = parent = t.id;
      }
      await s.setHead(st.id, st.headTurnId, head);
      const c = await curateContext({ store: s, story: st, headId: st.headTurnId, action: 'Where did Ilsa Carrow hide the brass key?', config });
      expect(c.text).toContain('[turn 13] Ilsa Carrow hides the brass key behind the rain barrel at Kestrel Tower.');
      expect(c.text).not.toContain('loose floorboard');
      expect(c.context.retrieval.bm25Hits).toBeGreaterThan(40);
    });
  });

  it('a referent at the end of a long previous turn comes whole, never a sentence cut in half', async () => {
    await withStore(async (s) => {
      const b = bundle();
      // The turn before is far longer than the edge read with a passage: its start is cut off mid-sentence.
      b.turns[20]!.prose = `${'Rain drums on the slate roofs of the harbour all night long. '.repeat(15)}Bram Hale picks up the jade compass at the Ember Market.`;
      const st = await s.importStory(b);
      const c = await curateContext({ store: s, story: st, headId: st.headTurnId, action: 'Where was the jade compass sealed away?', config });
      const passage = c.context.retrieval.passages!.find((p) => p.turn === 22)!;
      expect(passage.why).toContain('continues the previous turn');
      const relevant = c.context.sections.find((x) => x.name === 'relevant')!.text;
      expect(relevant).toMatch(/\[turn 22\] (?:Rain drums on the slate roofs of the harbour all night long\. )?Bram Hale picks up the jade compass at the Ember Market\. Later he seals it/);
    });
  });

  it('a fact\'s second half comes with the first even when the story told something else between them', async () => {
    await withStore(async (s) => {
      const b = bundle();
      b.turns[20]!.prose = `${FILLER} Bram Hale picks up the jade compass at the Ember Market. Fenwick buys bread and walks home in the rain. A peddler hawks lamp oil that nobody buys.`;
      // Sealing is common: the next turn is no candidate of its own, newer turns that seal things outrank it.
      for (let i = 30; i < 60; i++) b.turns[i]!.prose += ' The harbourmaster seals the ledger for the night.';
      const st = await s.importStory(b);
      const c = await curateContext({ store: s, story: st, headId: st.headTurnId, action: 'Where was the jade compass sealed away?', config });
      expect(c.context.retrieval.passages!.map((p) => p.turn)).not.toContain(22);
      expect(c.text).toContain('Bram Hale picks up the jade compass at the Ember Market. Later he seals it inside the cold chimney at Gravenmoor.');
      expect(c.context.retrieval.passages!.find((p) => p.turn === 21)!.why).toContain('goes on in the next turn');
    });
  });

  it('a one-word question with no name finds the one turn that says it', async () => {
    const c = await curate('rumours?');
    expect(c.context.sections.find((s) => s.name === 'relevant')?.items ?? 0).toBeGreaterThan(0);
    expect(c.text).toContain('trades rumours about smugglers');
  });

  it('without a matching turn the relevant section stays empty rather than filling the budget with noise', async () => {
    const c = await curate('What about the dragon?');
    expect(c.context.sections.find((s) => s.name === 'relevant')?.items ?? 0).toBe(0);
  });

  it('a search started on the last read\'s names is used when they still hold, and asked again when an alias changed', async () => {
    // Records each text search the assembly asks, through the real (branch-cached) store.
    const calls: unknown[][] = [];
    const queries = () => calls.splice(0).map((c) => c[1]);
    await withStore(async (s) => {
      const st = await s.importStory(bundle());
      const ask = (action: string) => curateContext({ store: s, story: st, headId: st.headTurnId, action, config });
      await ask('Where is the brass key?'); // no hint yet: one search, after the memory
      queries();
      await ask('Where is the brass key?');
      expect(queries()).toEqual(['Where is the brass key?']);
      // Bram gains an alias the hint does not know: the early search is wasted and the fresh names are searched.
      const bram = (await s.listEntities(st.id)).find((e) => e.name === 'Bram Hale')!;
      await s.editEntity(st.id, bram.id, { aliases: ['the Quiet Tinker'] });
      const c = await ask('What did the Quiet Tinker seal away?');
      expect(queries()).toEqual(['What did the Quiet Tinker seal away?', 'What did the Quiet Tinker seal away? Bram Hale']);
      expect(c.context.retrieval.named).toEqual([{ name: 'Bram Hale', via: 'the Quiet Tinker' }]);
      expect(c.text).toContain('Bram Hale picks up the jade compass at the Ember Market. Later he seals it inside the cold chimney at Gravenmoor.');
    }, { method: 'searchPassages', calls });
  });

  it('luna context shows which passages were chosen and why', async () => {
    const home = tempHome('luna-retrieval-cli-');
    const file = path.join(home, 'story.json');
    writeFileSync(file, JSON.stringify(bundle()));
    const imported = await luna(['story', 'import', file, '--json'], { home });
    expect(imported.exitCode, imported.stderr).toBe(0);
    const id = JSON.parse(imported.stdout).story.id as string;
    const r = await luna(['context', id, '--action', 'What did the Salt Widow hide?'], { home });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain('named in the action: Ilsa Carrow (as "the Salt Widow")');
    expect(r.stdout).toMatch(/in {3}turn 13 +[\d.]+ {2}matches hide; names Ilsa Carrow/);
  });
});

describe('sentence splitting and stemming', () => {
  it('splits on sentence ends before a capital, keeping quotes with their sentence', () => {
    expect(splitSentences('She said "Go." Then he left. e.g. this stays')).toEqual(['She said "Go."', 'Then he left. e.g. this stays']);
  });
  it('reduces common endings so hides/hide/hid and buries/bury meet', () => {
    expect([stem('hides'), stem('buries'), stem('moved'), stem('sealing')]).toEqual(['hide', 'bury', 'mov', 'seal']);
  });
  it('meets a word and its endings, not a longer word that starts with it', () => {
    const same = (a: string, b: string) => sameStem(stem(a), stem(b));
    expect([same('hide', 'hid'), same('bury', 'buried'), same('move', 'moved'), same('key', 'keys'), same('stop', 'stopping'), same('whisper', 'whispered')])
      .toEqual([true, true, true, true, true, true]);
    expect([same('cry', 'crypt'), same('sea', 'seal'), same('car', 'carpet'), same('art', 'artist'), same('bat', 'battle')])
      .toEqual([false, false, false, false, false]);
  });
});
