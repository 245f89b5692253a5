import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { luna, tempHome } from '../helpers/cli.js';

/** Imports a story file (no LLM call) and returns the new story's id. */
async function importStory(home: string, bundle: object): Promise<string> {
  const file = path.join(home, `story-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(bundle));
  const r = await luna(['story', 'import', file, '--json'], { home });
  expect(r.exitCode, r.stderr).toBe(0);
  return JSON.parse(r.stdout).story.id;
}

async function context(home: string, id: string, action: string): Promise<{ line: string; json: { totalTokens: number; historyTokens: number } }> {
  const text = await luna(['context', id, '--action', action], { home });
  expect(text.exitCode, text.stderr).toBe(0);
  const json = await luna(['context', id, '--action', action, '--json'], { home });
  return { line: text.stdout.trim().split('\n').at(-1) ?? '', json: JSON.parse(json.stdout) };
}

const maren = {
  name: 'Maren Vale',
  kind: 'character',
  aliases: ['the keeper'],
  description: 'Keeper of the Greyhaven light for thirty winters; distrusts the harbour master and hides a letter from her drowned brother.',
  facts: [{ key: 'sword', value: 'Dawnbreaker' }, { key: 'lamp oil', value: 'two barrels left' }],
};

describe('luna context reports the size against the history truthfully', () => {
  it('a short story whose context outweighs its history says so, not "0.0% smaller"', async () => {
    const home = tempHome('luna-context-size-');
    const id = await importStory(home, {
      title: 'Greyhaven',
      premise: 'A lighthouse keeper on a storm-wracked coast finds a stranger on the rocks who knows her brother\'s secret.',
      style: 'atmospheric, past tense',
      entities: [maren],
      turns: [{ action: 'Maren lights the lamp', prose: 'The lamp caught.' }],
    });
    const { line, json } = await context(home, id, 'Maren climbs the tower');
    expect(json.totalTokens).toBeGreaterThan(json.historyTokens);
    expect(line).toContain(`history ${json.historyTokens} tokens; context ${json.totalTokens} tokens (larger than the history: the story is short)`);
    expect(line).not.toMatch(/smaller/);
  });

  it('a story with no turns says none were played', async () => {
    const home = tempHome('luna-context-size-');
    const id = await importStory(home, { title: 'Empty', premise: 'Nothing yet.', turns: [] });
    const { line } = await context(home, id, 'look around');
    expect(line).toMatch(/history 0 tokens; context \d+ tokens \(no turns played yet\)/);
  });

  it('a long story still reports how much smaller the context is', async () => {
    const home = tempHome('luna-context-size-');
    const prose = 'The sea rose grey against the rocks while gulls wheeled over the harbour and the bell rang low. '.repeat(4);
    const id = await importStory(home, {
      title: 'Long watch',
      premise: 'A keeper keeps the light.',
      entities: [maren],
      turns: Array.from({ length: 120 }, (_, i) => ({ action: `Maren waits, night ${i + 1}`, prose })),
    });
    const { line, json } = await context(home, id, 'Maren climbs the tower');
    const pct = ((1 - json.totalTokens / json.historyTokens) * 100).toFixed(1);
    expect(json.totalTokens).toBeLessThan(json.historyTokens);
    expect(line).toContain(`history ${json.historyTokens} tokens; context ${json.totalTokens} tokens (${pct}% smaller)`);
  });
});
