import { describe, expect, it } from 'vitest';
import { beatPlanJsonSchema, parsePlan, planMaxTokens, PLAN_LIMITS, repairJson, schemaMaxChars } from '../../src/pipeline/plan.js';

const head = '{"intent": "cross the bridge", "tone": "tense", "beats": ["Mira steps onto the rope bridge"]';

describe('plans cut by maxTokens are repaired, never turned into invalid JSON', () => {
  // Each cut is one a real llama.cpp server produced (issue 18) or its close cousin.
  const cuts: Array<[string, string]> = [
    ['a cut key', `${head}, "entities" : [ ], "factChanges`],
    ['a dangling colon', `${head}, "entities" : [ ], "factChanges":`],
    ['a key with no colon', `${head}, "entities": [], "factChanges"`],
    ['a half string inside a beat', '{"intent": "cross", "tone": "tense", "beats": ["Mira steps", "the rope sways and cre'],
    ['a dangling escape', '{"intent": "cross", "tone": "tense", "beats": ["Mira says \\"go\\'],
    ['a half unicode escape', '{"intent": "cross", "tone": "tense", "beats": ["Mira \\u00'],
    ['a half entity', `${head}, "entities": [{"name": "Mira", "kind": "character"}, {"name": "Ol`],
    ['a half fact', `${head}, "entities": [], "factChanges": [{"entity": "Mira", "key": "mood", "value": "afraid"}, {"entity": "Olek", "ke`],
    ['a half literal', `${head}, "entities": [], "extra": tru`],
    ['a trailing comma', `${head},`],
  ];
  for (const [what, text] of cuts) {
    it(`repairs ${what} into JSON that parses, and into a valid plan`, () => {
      const repaired = repairJson(text);
      expect(repaired).not.toBeNull();
      expect(() => JSON.parse(repaired!)).not.toThrow();
      const parsed = parsePlan(text);
      expect(parsed.ok, JSON.stringify(parsed)).toBe(true);
      if (parsed.ok) {
        expect(parsed.repaired).toBe(true);
        expect(parsed.plan.beats.length).toBeGreaterThan(0);
      }
    });
  }

  it('keeps complete members and the half string value they were writing', () => {
    const parsed = parsePlan('{"intent": "cross", "tone": "tense", "beats": ["Mira steps", "the rope sways and cre');
    expect(parsed.ok && parsed.plan.beats).toEqual(['Mira steps', 'the rope sways and cre']);
  });

  it('drops a half entity and a half fact instead of failing the plan', () => {
    const parsed = parsePlan(`${head}, "entities": [{"name": "Mira", "kind": "character"}, {"kind": "place"}], "factChanges": [{"entity": "Olek", "key": "mood"}]}`);
    expect(parsed.ok && parsed.plan.entities).toEqual([{ name: 'Mira', kind: 'character' }]);
    expect(parsed.ok && parsed.plan.factChanges).toEqual([]);
  });

  it('maps an unknown entity kind to other', () => {
    const parsed = parsePlan(`${head}, "entities": [{"name": "Mira", "kind": "char"}]}`);
    expect(parsed.ok && parsed.plan.entities).toEqual([{ name: 'Mira', kind: 'other' }]);
  });

  it('takes the first complete object and ignores what follows it', () => {
    const parsed = parsePlan(`Here you go:\n\`\`\`json\n${head}}\n\`\`\`\nHope that helps {"x":1}`);
    expect(parsed.ok && parsed.plan.intent).toBe('cross the bridge');
  });

  it('still fails clearly when there is nothing to plan with', () => {
    const parsed = parsePlan('{"intent": "cross the bri');
    expect(parsed.ok).toBe(false);
    expect(parsePlan('no json at all').ok).toBe(false);
  });
});

describe('the plan schema is bounded so a grammar must close it', () => {
  it('bounds every string and every list', () => {
    const walk = (s: any, path: string): void => {
      if (s.type === 'string' && !s.enum) expect(s.maxLength, path).toBeGreaterThan(0);
      if (s.type === 'array') {
        expect(s.maxItems, path).toBeGreaterThan(0);
        walk(s.items, `${path}[]`);
      }
      if (s.type === 'object') for (const [k, v] of Object.entries(s.properties)) walk(v, `${path}.${k}`);
    };
    walk(beatPlanJsonSchema, '$');
    expect((beatPlanJsonSchema as any).properties.beats.maxItems).toBe(PLAN_LIMITS.beats);
  });

  it('a worst-case plan (every string and list at its bound) fits in its character estimate', () => {
    const s = (n: number) => 'x'.repeat(n);
    const worst = {
      intent: s(PLAN_LIMITS.intent),
      tone: s(PLAN_LIMITS.tone),
      beats: Array.from({ length: PLAN_LIMITS.beats }, () => s(PLAN_LIMITS.beat)),
      entities: Array.from({ length: PLAN_LIMITS.entities }, () => ({ name: s(PLAN_LIMITS.entityName), kind: 'character' })),
      factChanges: Array.from({ length: PLAN_LIMITS.factChanges }, () => ({ entity: s(PLAN_LIMITS.factEntity), key: s(PLAN_LIMITS.factKey), value: s(PLAN_LIMITS.factValue) })),
    };
    expect(JSON.stringify(worst, null, 1).replace(/\n\s*/g, ' ').length).toBeLessThanOrEqual(schemaMaxChars(beatPlanJsonSchema));
    expect(parsePlan(JSON.stringify(worst)).ok).toBe(true);
  });

  it('sizes maxTokens from the schema: fewer characters per token need more tokens', () => {
    expect(planMaxTokens(1.5)).toBeGreaterThan(planMaxTokens(4));
    expect(planMaxTokens(4) * 4).toBeGreaterThanOrEqual(schemaMaxChars(beatPlanJsonSchema));
  });
});
