import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { luna, tempHome } from '../helpers/cli.js';

const t = (action: string, prose: string) => ({ action, prose });

describe('story export --format md', () => {
  it('exports every branch, each in its own section (it dropped all but the current one)', async () => {
    const home = tempHome();
    const file = path.join(home, 'branched.json');
    writeFileSync(file, JSON.stringify({
      title: 'Forks', premise: 'Two roads',
      turns: [t('go north', 'The road climbs.'), t('rest', 'Night falls.'), t('climb on', 'The pass opens.')],
      branches: [{ from: 1, turns: [t('turn back south', 'The sea again.'), t('sail', 'A storm.')] }],
    }));
    const imported = await luna(['story', 'import', file, '--json'], { home });
    expect(imported.exitCode, imported.stderr).toBe(0);
    const id = JSON.parse(imported.stdout).story.id;
    const out = path.join(home, 'forks.md');
    const r = await luna(['story', 'export', id, '-f', 'md', '-o', out], { home });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toContain('exported 3 turns and 1 other branch to');
    const md = execFileSync('cat', [out], { encoding: 'utf8' });
    expect(md).toContain('This story has 2 branches');
    for (const s of ['## Turn 1', '> go north', '## Turn 3', 'The pass opens.', '## Branch 2: leaves the story after turn 1', '### Turn 2', '> turn back south', '### Turn 3', 'A storm.']) {
      expect(md).toContain(s);
    }
    expect(md.indexOf('## Branch 2')).toBeGreaterThan(md.indexOf('The pass opens.'));
  });
});

describe('counts agree with their nouns', () => {
  it('story show, import and delete say "1 turn", "1 branch"', async () => {
    const home = tempHome();
    const file = path.join(home, 'one.json');
    writeFileSync(file, JSON.stringify({ title: 'One', premise: 'p', turns: [t('wake', 'Morning.')] }));
    const imported = await luna(['story', 'import', file], { home });
    expect(imported.stdout).toMatch(/^imported story \w+: 1 turn in /);
    const id = imported.stdout.split(' ')[2]!.replace(':', '');
    const show = await luna(['story', 'show', id], { home });
    expect(show.stdout).toContain('1 turn, 1 branch, 0 entities, 0 summaries');
    const del = await luna(['story', 'delete', id, '--yes'], { home });
    expect(del.stdout).toBe(`deleted ${id} (1 turn)`);
  });
});
