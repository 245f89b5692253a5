import { describe, expect, it } from 'vitest';
import { entitiesInPlay, namedIn } from '../../src/pipeline/memory.js';
import { beatPlanSchema } from '../../src/pipeline/plan.js';
import { resolveEntities } from '../../src/pipeline/resolve.js';
import { searchQuery } from '../../src/pipeline/retrieval.js';
import { scoreContext, scoreSentence } from '../../src/pipeline/sentence-score.js';
import type { Entity } from '../../src/store/types.js';

/**
 * Which entities a text names. A family shares a surname: "Hestia Fairholt" must name Hestia, not every
 * Fairholt, or the search query takes in the whole family's names and aliases and the context their sheets.
 */
const entity = (id: string, name: string, aliases: string[] = []): Entity => ({
  id, storyId: 's', name, kind: 'character', aliases, description: '', firstTurnId: null, createdAt: '',
});
const hestia = entity('e1', 'Hestia Fairholt', ['the Tallow Ferryman']);
const senna = entity('e2', 'Senna Fairholt', ['the Hollow Widow']);
const maren = entity('e3', 'Captain Maren Vale');
const all = [hestia, senna, maren];
const everyone = () => true;
const plan = beatPlanSchema.parse({ intent: 'go on', beats: ['the story goes on'] });
const names = (m: Map<Entity, string>) => [...m].map(([e, via]) => `${e.name} via ${via}`);

describe('namedIn', () => {
  it('takes a full name for its own entity only, not for others sharing a part of it', () => {
    expect(names(namedIn(all, everyone, 'who is the blackmailer of hestia fairholt?'))).toEqual(['Hestia Fairholt via Hestia Fairholt']);
    expect(names(namedIn(all, everyone, 'the hollow widow smiles'))).toEqual(['Senna Fairholt via the Hollow Widow']);
  });

  it('still takes a part of a name where no full name or alias covers it', () => {
    expect(names(namedIn(all, everyone, 'ask fairholt about the key'))).toEqual(['Hestia Fairholt via Fairholt', 'Senna Fairholt via Fairholt']);
    expect(names(namedIn(all, everyone, 'hestia and senna fairholt argue'))).toEqual(['Hestia Fairholt via Hestia', 'Senna Fairholt via Senna Fairholt']);
    // The surname outside the alias names the family; the alias names Senna.
    expect(names(namedIn(all, everyone, 'the hollow widow and old fairholt'))).toEqual(['Hestia Fairholt via Fairholt', 'Senna Fairholt via the Hollow Widow']);
    expect(names(namedIn(all, everyone, 'maren waits'))).toEqual(['Captain Maren Vale via Maren']);
  });

  it('skips entities the caller cannot see, and what only touches a name ("Fairholts")', () => {
    expect(names(namedIn(all, (e) => e !== hestia, 'hestia fairholt and senna fairholt'))).toEqual(['Senna Fairholt via Senna Fairholt']);
    // Hidden Hestia's full name does not blank the surname for the others: it was never matched.
    expect(names(namedIn(all, (e) => e !== hestia, 'hestia fairholt waits'))).toEqual(['Senna Fairholt via Fairholt']);
    expect(names(namedIn(all, everyone, 'the fairholts are away'))).toEqual([]);
  });

  it('keeps the search query to the named entity\'s own names', () => {
    const { named, query } = searchQuery(all, everyone, 'Who is the blackmailer of Hestia Fairholt?');
    expect(named.map((n) => n.entity.name)).toEqual(['Hestia Fairholt']);
    expect(query).toBe('Who is the blackmailer of Hestia Fairholt? the Tallow Ferryman');
  });

  it('puts in play, and resolves as appearing, only the entity a full name names', () => {
    const seen = entitiesInPlay(all, everyone, { action: 'I follow Hestia Fairholt.', recent: 'Senna waved from the quay.' });
    expect(seen('').map((s) => `${s.entity.name}:${s.via}`)).toEqual(['Hestia Fairholt:action', 'Senna Fairholt:recent']);
    const quiet = entitiesInPlay(all, everyone, { action: 'I follow Hestia Fairholt.', recent: '' });
    expect(quiet('Hestia Fairholt hid the key. Maren watched.').map((s) => `${s.entity.name}:${s.via}`)).toEqual(['Hestia Fairholt:action', 'Captain Maren Vale:relevant']);
    const resolved = resolveEntities(plan, 'Hestia Fairholt laughed at the Hollow Widow.', all, everyone);
    expect(resolved.updates.map((u) => u.name)).toEqual(['Hestia Fairholt', 'Senna Fairholt']);
    expect(resolveEntities(plan, 'Hestia Fairholt laughed.', all, everyone).updates.map((u) => u.name)).toEqual(['Hestia Fairholt']);
  });

  it('scores a sentence for the entity it names and a real relation, not for a shared surname', () => {
    const ctx = scoreContext('Who is blackmailing Hestia Fairholt?', [hestia], [senna, maren]);
    const alone = scoreSentence('Later Hestia Fairholt admits she is being blackmailed.', ctx, []);
    expect(alone.why.join('; ')).toContain('names Hestia Fairholt');
    expect(alone.why.join('; ')).not.toContain('relates to');
    // Another Fairholt named in full is a relation, and is not taken for Hestia.
    expect(scoreSentence('Hestia Fairholt fears Senna Fairholt.', ctx, []).why).toContain('relates to Senna Fairholt');
    expect(scoreSentence('Senna Fairholt laughs at the harbour.', ctx, []).why.join('; ')).not.toContain('names Hestia');
    expect(scoreSentence('Hestia Fairholt and the captain, Maren, argue.', ctx, []).why).toContain('relates to Captain Maren Vale');
  });
});
