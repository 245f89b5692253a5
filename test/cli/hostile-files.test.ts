import { execFileSync, spawn } from 'node:child_process';
import { lstatSync, mkdirSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { luna, tempHome } from '../helpers/cli.js';

let home: string;
let id: string;

beforeAll(async () => {
  home = tempHome('luna-hostile-');
  const r = await luna(['story', 'new', '-t', 'Harbour', '-p', 'Maren keeps the light', '--json'], { home });
  expect(r.exitCode, r.stderr).toBe(0);
  id = JSON.parse(r.stdout).id;
}, 60_000);

describe('story export -o writes through what is not a plain file', () => {
  it('a FIFO stays a FIFO and its reader gets the export', async () => {
    const fifo = path.join(home, 'export.fifo');
    execFileSync('mkfifo', [fifo]);
    const reader = spawn('cat', [fifo]);
    let read = '';
    reader.stdout.on('data', (d: Buffer) => (read += d.toString()));
    const done = new Promise<void>((resolve) => reader.on('close', () => resolve()));
    const r = await luna(['story', 'export', id, '-o', fifo], { home });
    await done;
    expect(r.exitCode, r.stderr).toBe(0);
    expect(JSON.parse(read).title).toBe('Harbour');
    expect(lstatSync(fifo).isFIFO()).toBe(true);
  });

  it('a symlink keeps pointing at its target, and the target gets the export', async () => {
    const dir = path.join(home, 'dotfiles');
    mkdirSync(dir);
    const target = path.join(dir, 'story.json');
    writeFileSync(target, 'old', { mode: 0o640 });
    const link = path.join(home, 'story-link.json');
    symlinkSync('dotfiles/story.json', link);
    const r = await luna(['story', 'export', id, '-o', link], { home });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe('dotfiles/story.json');
    expect(JSON.parse(readFileSync(target, 'utf8')).title).toBe('Harbour');
    expect(statSync(target).mode & 0o777).toBe(0o640);
  });

  it('/dev/null is still a character device afterwards', async () => {
    const r = await luna(['story', 'export', id, '-f', 'md', '-o', '/dev/null'], { home });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(statSync('/dev/null').isCharacterDevice()).toBe(true);
    expect(statSync('/dev/null').rdev).toBe(0x103);
  });

  it('a device that refuses the bytes (/dev/full) is a clear error and stays a device', async () => {
    const r = await luna(['story', 'export', id, '-o', '/dev/full'], { home });
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toMatch(/^luna: cannot write export \/dev\/full: no space left on device \(ENOSPC\)$/m);
    expect(r.stderr).not.toMatch(/bug in luna|at .*\.js:\d+/);
    expect(statSync('/dev/full').isCharacterDevice()).toBe(true);
  });
});

describe('other files the user names share the safe write', () => {
  it('init --force through a symlinked luna.yaml keeps the link and writes its target 0600', async () => {
    const h = tempHome();
    const real = path.join(h, 'real.yaml');
    writeFileSync(real, '# mine\n');
    symlinkSync(real, path.join(h, 'luna.yaml'));
    const r = await luna(['init', '--force'], { home: h });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(lstatSync(path.join(h, 'luna.yaml')).isSymbolicLink()).toBe(true);
    expect(readFileSync(real, 'utf8')).toContain('# LUNA config');
    expect(statSync(real).mode & 0o777).toBe(0o600);
  });

  it('db backup refuses a dangling symlink (backups never overwrite, not even a link)', async () => {
    const link = path.join(home, 'backup-link.db');
    symlinkSync(path.join(home, 'nowhere.db'), link);
    const r = await luna(['db', 'backup', link], { home });
    expect(r.exitCode, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/already exists/);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
  });
});

