import { describe, expect, it } from 'vitest';
import { generateRecallStory } from '../../bench/recall-gen.js';
import { namedInAction, splitSentences } from '../../src/pipeline/retrieval.js';
import { couldScore, sameStem, scoreContext, scoreSentence, stem } from '../../src/pipeline/sentence-score.js';
import type { Entity } from '../../src/store/types.js';

/**
 * The prefilter (couldScore) lets retrieval skip scoring a sentence: it must never turn away one that scores.
 * Checked against the full scorer on every sentence of a generated story, for every question asked of it.
 */
describe('sentence scoring prefilter', () => {
  it('never turns away a sentence the full scorer gives points, over a whole generated story and its questions', () => {
    const gen = generateRecallStory({ turns: 300, seed: 7 });
    const entities: Entity[] = (gen.bundle.entities ?? []).map((e, i) => ({
      id: `e${i}`, storyId: 's', name: e.name, kind: e.kind ?? 'character', aliases: e.aliases ?? [], description: '', firstTurnId: null, createdAt: '',
    }));
    const sentences = gen.bundle.turns.flatMap((t) => splitSentences(t.prose));
    let scoring = 0;
    let skipped = 0;
    for (const q of gen.questions.slice(0, 60)) {
      const named = namedInAction(entities, () => true, q.action).map((n) => n.entity);
      const ctx = scoreContext(q.action, named, entities.filter((e) => !named.includes(e)));
      const full = { ...ctx, maybe: /(?:)/ };
      for (const s of sentences) {
        const want = scoreSentence(s, full, []);
        const got = scoreSentence(s, ctx, []);
        expect(got).toEqual(want);
        if (want.score > 0) scoring++;
        else if (!ctx.maybe.test(s.toLowerCase())) skipped++;
      }
    }
    // The check means something only if both kinds are common.
    expect(scoring).toBeGreaterThan(500);
    expect(skipped).toBeGreaterThan(sentences.length * 10);
  });

  it('lets through every word that meets a query stem, the -ies words whose third letter stem() turns into y included', () => {
    const words = ['flies', 'fly', 'cries', 'hidden', 'hid', 'hides', 'buries', 'buried', 'stopping', 'keys', 'moved', 'seal', 'sea', 'crypt'];
    for (const q of ['fly', 'cry', 'hide', 'bury', 'stop', 'key', 'move', 'sea']) {
      const re = couldScore([stem(q)], [], []);
      for (const w of words) if (sameStem(stem(q), stem(w))) expect(re.test(`they saw ${w} there`), `${q} / ${w}`).toBe(true);
    }
    expect(couldScore([stem('fly')], [], []).test('a butterfly')).toBe(false);
    expect(couldScore([], [], []).test('anything')).toBe(false);
  });
});
