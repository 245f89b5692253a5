import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { luna, tempHome } from '../helpers/cli.js';

// A bad path or blank flag is the user's input, not a bug: its own exit code, the path in the message, a hint.
function expectUserError(r: { exitCode: number; stderr: string }, code: number, message: RegExp, hint: RegExp): void {
  expect(r.exitCode, r.stderr).toBe(code);
  const lines = r.stderr.trim().split('\n');
  expect(lines[0]).toMatch(/^luna: /);
  expect(lines[0]).toMatch(message);
  expect(r.stderr).toMatch(hint);
  expect(r.stderr).not.toMatch(/bug in luna|ENOENT|EISDIR/);
}

let home: string;
let id: string;

beforeAll(async () => {
  home = tempHome('luna-story-io-');
  const r = await luna(['story', 'new', '-t', 'Harbour', '-p', 'Maren keeps the light', '--json'], { home });
  expect(r.exitCode, r.stderr).toBe(0);
  id = JSON.parse(r.stdout).id;
}, 120_000);

describe('luna story export -o with a bad path', () => {
  it('names a missing folder, says to create it, and leaves no temp file behind', async () => {
    const out = path.join(home, 'nodir', 'a.md');
    const r = await luna(['story', 'export', id, '-f', 'md', '-o', out], { home });
    expectUserError(r, 2, new RegExp(`${out}.*folder ${path.dirname(out)} does not exist`), /hint: create it first \(mkdir -p /);
    expect(existsSync(path.dirname(out))).toBe(false);
  });

  it('refuses an existing folder, suggesting a file inside it, and writes nothing beside it', async () => {
    const dir = path.join(home, 'exports');
    mkdirSync(dir);
    const r = await luna(['story', 'export', id, '-o', dir], { home });
    expectUserError(r, 2, new RegExp(`${dir} is a folder`), new RegExp(`hint: name a file inside it, e\\.g\\. ${dir}/${id}\\.json`));
    expect(readdirSync(dir)).toEqual([]);
    expect(readdirSync(home).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('refuses a path under a plain file', async () => {
    const plain = path.join(home, 'plain.txt');
    writeFileSync(plain, 'x');
    expectUserError(await luna(['story', 'export', id, '-o', path.join(plain, 'a.json')], { home }), 2, new RegExp(`${plain} is not a folder`), /hint: pick a path/);
  });

  it('still writes to a good path, replacing an earlier export whole', async () => {
    const out = path.join(home, 'harbour.json');
    writeFileSync(out, 'an older export');
    const r = await luna(['story', 'export', id, '-o', out], { home });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8')).title).toBe('Harbour');
    expect(readdirSync(home).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });
});

describe('luna story import with a bad file', () => {
  it('a missing file is not found (exit 4), with a hint', async () => {
    const missing = path.join(home, 'no-such-story.json');
    expectUserError(await luna(['story', 'import', missing], { home }), 4, new RegExp(`no such file: ${missing}`), /hint: check the path/);
  });

  it('a folder is a usage error that says so, not a JSON error', async () => {
    expectUserError(await luna(['story', 'import', home], { home }), 2, new RegExp(`${home} is a folder`), /hint: name the \.json file/);
  });

  // root reads any file whatever its mode, so there is nothing to observe there.
  it.skipIf(process.getuid?.() === 0)('an unreadable file says permission denied', async () => {
    const locked = path.join(home, 'locked.json');
    writeFileSync(locked, '{}');
    chmodSync(locked, 0o000);
    expectUserError(await luna(['story', 'import', locked], { home }), 2, /cannot read .*permission denied/, /hint: /);
  });

  it('a file that is not JSON is still a usage error naming it', async () => {
    const bad = path.join(home, 'bad.json');
    writeFileSync(bad, '{ not json');
    expectUserError(await luna(['story', 'import', bad], { home }), 2, new RegExp(`${bad} is not valid JSON`), /hint: the format is documented/);
  });
});

describe('luna story new checks its input', () => {
  it('refuses a blank title and creates nothing', async () => {
    const h = tempHome('luna-story-new-');
    for (const title of ['', '   ']) {
      expectUserError(await luna(['story', 'new', '-t', title, '-p', 'p'], { home: h }), 2, /--title is blank/, /hint: e\.g\. luna story new --title/);
    }
    const list = await luna(['story', 'list', '--json'], { home: h });
    expect(JSON.parse(list.stdout)).toEqual([]);
  });

  it('allows an empty premise, and the story exports and imports back', async () => {
    const h = tempHome('luna-story-new-');
    const r = await luna(['story', 'new', '-t', '  Open  ', '-p', '', '--json'], { home: h });
    expect(r.exitCode, r.stderr).toBe(0);
    const story = JSON.parse(r.stdout);
    expect(story.title).toBe('Open');
    const out = path.join(h, 'open.json');
    expect((await luna(['story', 'export', story.id, '-o', out], { home: h })).exitCode).toBe(0);
    const imp = await luna(['story', 'import', out], { home: h });
    expect(imp.exitCode, imp.stderr).toBe(0);
  });

  it('refuses a title too long for a story file to import back', async () => {
    const h = tempHome('luna-story-new-');
    expectUserError(await luna(['story', 'new', '-t', 'x'.repeat(201), '-p', 'p'], { home: h }), 2, /--title is too long \(201 characters\)/, /hint: shorten it/);
  });
});
