import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { luna, tempHome } from '../helpers/cli.js';

let home: string;
let id: string;

beforeAll(async () => {
  home = tempHome('luna-ids-');
  const r = await luna(['story', 'new', '-t', 'Only one', '-p', 'p', '--json'], { home });
  expect(r.exitCode, r.stderr).toBe(0);
  id = JSON.parse(r.stdout).id;
}, 60_000);

describe('an empty or blank id is a usage error, never a prefix of everything', () => {
  it('story delete "" --yes deletes nothing (it deleted the only story)', async () => {
    for (const ref of ['', '   ']) {
      const r = await luna(['story', 'delete', ref, '--yes'], { home });
      expect(r.exitCode, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/^luna: the story id is (empty|blank)$/m);
      expect(r.stderr).toMatch(/^hint: give an id or a unique prefix of one; luna story list shows the story ids$/m);
    }
    const list = JSON.parse((await luna(['story', 'list', '--json'], { home })).stdout);
    expect(list.map((s: { id: string }) => s.id)).toEqual([id]);
  });

  it('every command that resolves a story, turn, account or key id refuses a blank one', async () => {
    const cases: [string[], RegExp][] = [
      [['story', 'show', ''], /the story id is empty/],
      [['story', 'export', ' '], /the story id is blank/],
      [['context', '', '--action', 'x'], /the story id is empty/],
      [['turn', '', 'go'], /the story id is empty/],
      [['turn', id, '--to', ''], /the turn id is empty/],
      [['turn', id, '--from', ' ', 'go'], /the turn id is blank/],
      [['story', 'list', '--account', ''], /the account id is empty/],
      [['jobs', '--story', ''], /the story id is empty/],
      [['cost', 'report', '--account', ''], /the account id is empty/],
      [['cost', 'report', '--story', ' '], /the story id is blank/],
      [['account', 'tier', '', 'free'], /the account id is empty/],
      [['account', 'keys', 'create', ''], /the account id is empty/],
      [['account', 'keys', 'list', ''], /the account id is empty/],
      [['account', 'keys', 'revoke', ''], /the API key id is empty/],
      [['story', 'new', '-t', 'x', '-p', 'y', '--account', ''], /the account id is empty/],
    ];
    for (const [args, message] of cases) {
      const r = await luna(args, { home });
      expect(r.exitCode, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(message);
    }
    expect(JSON.parse((await luna(['story', 'list', '--json'], { home })).stdout)).toHaveLength(1);
  }, 120_000);
});

describe('control characters in a story title', () => {
  it('story new refuses C0, ESC, DEL and C1, naming the character and its position', async () => {
    const cases: [string, RegExp][] = [
      ['Red\x1b[31m alert', /--title has a control character ESC \(U\+001B\) at position 4/],
      ['Two\nlines', /--title has a control character line feed \(U\+000A\) at position 4/],
      ['Tab\there', /control character tab \(U\+0009\) at position 4/],
      ['Bell\x07', /control character BEL \(U\+0007\) at position 5/],
      ['Del\x7f', /control character DEL \(U\+007F\) at position 4/],
      ['C1 \u009b2J', /C1 control character CSI \(U\+009B\) at position 4/],
      ['NEL\u0085', /C1 control character NEL \(U\+0085\) at position 4/],
    ];
    for (const [title, message] of cases) {
      const r = await luna(['story', 'new', '-t', title, '-p', 'p'], { home });
      expect(r.exitCode, r.stderr).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).toMatch(/^hint: type it as plain text/m);
    }
    expect(JSON.parse((await luna(['story', 'list', '--json'], { home })).stdout)).toHaveLength(1);
  }, 120_000);

  it('a title with accents, CJK and emoji is fine', async () => {
    const r = await luna(['story', 'new', '-t', 'Île 灯台 🌊', '-p', 'p', '--json'], { home: tempHome() });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).title).toBe('Île 灯台 🌊');
  });

  it('story import refuses the same title, saying where', async () => {
    const file = path.join(home, 'esc.json');
    writeFileSync(file, JSON.stringify({ title: 'Clear\u001b[2J', premise: '', turns: [] }));
    const r = await luna(['story', 'import', file], { home });
    expect(r.exitCode, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/is not a LUNA story: title: has a control character ESC \(U\+001B\) at position 6/);
  });
});
