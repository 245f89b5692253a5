import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { luna, tempHome } from '../helpers/cli.js';
import { NOVELAI, SILLYTAVERN, stEntry, stWorld } from './fixtures.js';

/** `luna lore …` and `story new --lorebook` as a user runs them: a child process over a real SQLite file. */
let home: string;
let story: string;
const file = (name: string, value: unknown) => {
  const p = path.join(home, name);
  writeFileSync(p, typeof value === 'string' ? value : JSON.stringify(value));
  return p;
};

beforeAll(async () => {
  home = tempHome('luna-lore-cli-');
  const r = await luna(['story', 'new', '--title', 'Harbour', '--premise', 'A keeper finds a stranger.', '--json'], { home });
  expect(r.exitCode, r.stderr).toBe(0);
  story = JSON.parse(r.stdout).id;
}, 120_000);

describe('luna lore', () => {
  it('adds, lists, edits and removes entries; context shows what triggered each', async () => {
    const add = await luna(['lore', 'add', '--story', story, '-t', 'Drowned Chapel', '-b', 'Its bell rings at low tide.', '-k', 'chapel,/bells?/i',
      '--secondary', 'storm', '--logic', 'not-any', '--order', '5', '--json'], { home });
    expect(add.exitCode, add.stderr).toBe(0);
    const entry = JSON.parse(add.stdout);
    expect(entry).toMatchObject({ title: 'Drowned Chapel', keywords: ['chapel', '/bells?/i'], secondaryKeys: ['storm'], logic: 'not-any', order: 5 });
    const ctx = await luna(['context', story, '--action', 'I walk to the chapel'], { home });
    expect(ctx.exitCode, ctx.stderr).toBe(0);
    expect(ctx.stdout).toContain('in     Drowned Chapel [before]: key "chapel" in the action; not any of "storm"');
    const stormy = await luna(['context', story, '--action', 'I walk to the chapel in the storm', '--json'], { home });
    expect(JSON.parse(stormy.stdout).lore).toEqual([]);

    const edit = await luna(['lore', 'edit', entry.id.slice(0, 6), '--story', story, '--probability', '0', '--disable', '--comment', 'hidden for now'], { home });
    expect(edit.exitCode, edit.stderr).toBe(0);
    expect(edit.stdout).toMatch(/updated lore .*Drowned Chapel \(probability, enabled, comment\)/);
    const list = await luna(['lore', 'list', '--story', story], { home });
    expect(list.stdout).toMatch(/Drowned Chapel .*off; not-any storm; 0%/);
    const json = JSON.parse((await luna(['lore', 'list', '--story', story, '--json'], { home })).stdout);
    expect(json[0]).toMatchObject({ enabled: false, probability: 0, comment: 'hidden for now', keywords: ['chapel', '/bells?/i'] });

    const bad = await luna(['lore', 'edit', entry.id, '--story', story, '--probability', '150'], { home });
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/--probability: .*100/);
    const dup = await luna(['lore', 'add', '--story', story, '-t', 'drowned chapel', '-b', 'x'], { home });
    expect(dup.exitCode).toBe(2);
    expect(dup.stderr).toContain('already has a lore entry "Drowned Chapel"');
    const badRx = await luna(['lore', 'add', '--story', story, '-t', 'Rx', '-b', 'x', '-k', '/[a-/'], { home });
    expect(badRx.exitCode).toBe(2);
    expect(badRx.stderr).toContain('not a valid regular expression');

    const rm = await luna(['lore', 'rm', entry.id.slice(0, 6), '--story', story], { home });
    expect(rm.exitCode, rm.stderr).toBe(0);
    expect((await luna(['lore', 'rm', entry.id, '--story', story], { home })).exitCode).toBe(4);
  }, 180_000);

  it('imports SillyTavern and NovelAI lorebooks with notes per entry, all or nothing', async () => {
    const st = await luna(['lore', 'import', file('world.json', SILLYTAVERN), '--story', story], { home });
    expect(st.exitCode, st.stderr).toBe(0);
    expect(st.stdout).toContain('imported 5 lore entries from SillyTavern World Info');
    expect(st.stdout).toContain('entry 4 "Guild": inclusion group not supported (group: "factions")');
    const nai = await luna(['lore', 'import', file('book.lorebook', NOVELAI), '--story', story, '--json'], { home });
    expect(nai.exitCode, nai.stderr).toBe(0);
    expect(JSON.parse(nai.stdout)).toMatchObject({ format: 'novelai', imported: 2 });
    const count = async () => JSON.parse((await luna(['lore', 'list', '--story', story, '--json'], { home })).stdout).length;
    expect(await count()).toBe(7);
    // Importing the same book again: its names are taken, nothing is written.
    const again = await luna(['lore', 'import', path.join(home, 'world.json'), '--story', story], { home });
    expect(again.exitCode).toBe(2);
    expect(again.stderr.split('\n')[0]).toBe(`luna: ${path.join(home, 'world.json')}: entry 1 "The Drowned Chapel" is already in the story's lore`);
    // A bad entry late in the file writes none of the good ones before it.
    const late = stWorld([...Array.from({ length: 30 }, (_, i) => stEntry(i, { key: [`new${i}`], comment: `New ${i}`, content: 'x' })), stEntry(30, { key: 'oops' })]);
    const half = await luna(['lore', 'import', file('late.json', late), '--story', story], { home });
    expect(half.exitCode).toBe(2);
    expect(half.stderr).toContain('entry 31 (uid 30): "key" must be a list of words');
    expect(await count()).toBe(7);
    const cut = await luna(['lore', 'import', file('cut.json', JSON.stringify(SILLYTAVERN).slice(0, 200)), '--story', story], { home });
    expect(cut.exitCode).toBe(2);
    expect(cut.stderr).toMatch(/is not valid JSON \(it looks cut short/);
    const replaced = await luna(['lore', 'import', path.join(home, 'book.lorebook'), '--story', story, '--replace'], { home });
    expect(replaced.exitCode, replaced.stderr).toBe(0);
    expect(await count()).toBe(2);
  }, 180_000);

  it('story new --lorebook creates the story with its lore, or nothing', async () => {
    const ok = await luna(['story', 'new', '-t', 'Sea', '-p', 'Cold.', '--lorebook', file('w2.json', SILLYTAVERN), '--json'], { home });
    expect(ok.exitCode, ok.stderr).toBe(0);
    const s = JSON.parse(ok.stdout);
    expect(s.lore).toMatchObject({ format: 'sillytavern', imported: 5 });
    expect(JSON.parse((await luna(['lore', 'list', '--story', s.id, '--json'], { home })).stdout)).toHaveLength(5);
    const before = JSON.parse((await luna(['story', 'list', '--json'], { home })).stdout).length;
    const bad = await luna(['story', 'new', '-t', 'Nope', '-p', 'x', '--lorebook', file('bad.json', { nothing: true })], { home });
    expect(bad.exitCode).toBe(2);
    expect(JSON.parse((await luna(['story', 'list', '--json'], { home })).stdout)).toHaveLength(before);
  }, 180_000);
});
