import { execa } from 'execa';
import { execFileSync } from 'node:child_process';
import { chmodSync, closeSync, mkdirSync, mkdtempSync, openSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { DatabaseError, ExitCode, LunaError, UsageError } from '../../src/errors.js';
import { storageError } from '../../src/util/storage-error.js';
import { BIN, ROOT, luna } from '../helpers/cli.js';
import { startOpenAIServer, type LoopbackServer } from '../helpers/openai-server.js';
import { planJson } from '../helpers/pipeline-fixture.js';

/**
 * Disk full, a read-only database and a read-only data dir are the machine's state, not a bug: exit 5, the
 * cause, and the fix naming the filesystem or the path. They read "re-run with --debug" (exit 1).
 */
function expectStorageError(r: { exitCode: number; stderr: string }, message: RegExp, hint: RegExp): void {
  expect(r.exitCode, r.stderr).toBe(5);
  const lines = r.stderr.trim().split('\n');
  expect(lines[0]).toMatch(message);
  expect(lines[1]).toMatch(hint);
  expect(r.stderr).not.toMatch(/bug in luna|--debug|at .*\.js:\d+/);
}

/** Fills a file system to its last byte: big writes, then smaller, then single bytes until ENOSPC. */
function fill(dir: string): void {
  const fd = openSync(path.join(dir, 'filler'), 'a');
  try {
    for (const size of [1 << 20, 1 << 16, 1 << 12, 1]) {
      const buf = Buffer.alloc(size);
      for (;;) {
        try {
          writeSync(fd, buf);
        } catch {
          break;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
}

function tryMount(dir: string): string | null {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', dir], { stdio: 'pipe' });
    return null;
  } catch (err) {
    return String((err as { stderr?: Buffer }).stderr ?? err).trim() || 'mount failed';
  }
}

describe('a full disk', () => {
  const mnt = mkdtempSync(path.join(tmpdir(), 'luna-full-'));
  const mountProblem = tryMount(mnt);
  const home = path.join(mnt, 'home');
  let server: LoopbackServer;
  beforeAll(async () => {
    server = await startOpenAIServer();
  });
  afterAll(async () => {
    await server.close();
    if (!mountProblem) execFileSync('umount', ['-l', mnt]);
  });

  it.skipIf(mountProblem !== null)(`story new, story list, a turn and doctor say which disk to free (skipped if a tmpfs cannot be mounted: ${mountProblem ?? 'it can'})`, async () => {
    const made = await luna(['story', 'new', '-t', 'Before', '-p', 'p', '--json'], { home });
    expect(made.exitCode, made.stderr).toBe(0);
    const storyId = JSON.parse(made.stdout).id as string;
    const config = path.join(tmpdir(), `luna-full-loop-${process.pid}.yaml`);
    writeFileSync(config, stringify({
      models: { loop: { provider: 'openai-compatible', baseUrl: server.baseUrl, model: 'loop-1', maxRetries: 0 } },
      agents: { preprocessor: { model: 'loop' }, strategist: { model: 'loop' }, writer: { model: 'loop' }, dreamer: { model: 'loop', inProcess: false } },
    }));
    fill(mnt);
    for (const args of [['story', 'new', '-t', 'After', '-p', 'p'], ['story', 'list']]) {
      const r = await luna(args, { home });
      expectStorageError(r, new RegExp(`^luna: cannot write to the database ${home}/luna\\.db: no space left on device \\(SQLITE_(FULL|IOERR\\w*)\\)$`), new RegExp(`^hint: free space on ${mnt} \\(df -h ${mnt}\\)`));
    }
    // A turn meets the full disk when it commits: the same exit 5 and fix, not "unexpected error".
    server.script({ kind: 'json', value: planJson() }, { kind: 'text', chunks: ['The lamp ', 'is lit.'] });
    const turn = await luna(['--config', config, 'turn', storyId, 'light the lamp'], { home });
    expectStorageError(turn, new RegExp(`^luna: cannot write to the database ${home}/luna\\.db: no space left on device`), new RegExp(`^hint: free space on ${mnt}`));
    const doctor = await luna(['doctor', '--no-models', '--json'], { home });
    expect(doctor.exitCode).toBe(1);
    const disk = JSON.parse(doctor.stdout).checks.find((c: { check: string }) => c.check === 'disk space');
    expect(disk).toMatchObject({ status: 'fail', detail: expect.stringMatching(new RegExp(`^0\\.0 MiB free on ${mnt} `)) });
    expect(disk.fix).toContain(`free space on ${mnt}`);
  });
});

describe('storage this user may not write (run as nobody: root bypasses permissions)', () => {
  let base = '';
  let problem: string | null = null;
  beforeAll(() => {
    base = mkdtempSync(path.join(tmpdir(), 'luna-ro-'));
    chmodSync(base, 0o755);
    // nobody must reach the folder: every ancestor needs o+x (the run's TMPDIR is 0700; open it for traversal).
    for (let d = path.dirname(base); d !== path.dirname(d); d = path.dirname(d)) {
      if ((statSync(d).mode & 0o001) === 0) {
        if (path.basename(d).startsWith('luna-test-run-')) chmodSync(d, statSync(d).mode | 0o111);
        else problem = `${d} is not traversable by nobody`;
      }
    }
    try {
      execFileSync('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', 'true'], { stdio: 'pipe' });
    } catch (err) {
      problem = `setpriv cannot switch to nobody: ${String(err)}`;
    }
  });

  const asNobody = (args: string[], home: string) =>
    execa('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', process.execPath, BIN, ...args], {
      cwd: ROOT, reject: false, env: { LUNA_HOME: home, NO_COLOR: '1', HOME: home },
    }).then((r) => ({ exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) }));

  it('a read-only database: reads work, a write names the file to make writable', async (ctx) => {
    if (problem) ctx.skip(problem);
    const home = path.join(base, 'ro-db');
    mkdirSync(home);
    expect((await luna(['story', 'new', '-t', 'Kept', '-p', 'p'], { home })).exitCode).toBe(0);
    chmodSync(home, 0o777); // the folder is writable (for -wal/-shm); the database file is root's, 0644
    const list = await asNobody(['story', 'list', '--json'], home);
    expect(list.exitCode, list.stderr).toBe(0);
    expect(JSON.parse(list.stdout).map((s: { title: string }) => s.title)).toEqual(['Kept']);
    const write = await asNobody(['story', 'new', '-t', 'New', '-p', 'p'], home);
    expectStorageError(write, new RegExp(`^luna: cannot write to the database ${home}/luna\\.db: it is read-only for this user \\(SQLITE_READONLY\\w*\\)$`), new RegExp(`^hint: make ${home}/luna\\.db writable by this user`));
  });

  it('a read-only data dir: names the folder to make writable', async (ctx) => {
    if (problem) ctx.skip(problem);
    const home = path.join(base, 'ro-home');
    mkdirSync(home, { mode: 0o755 });
    const fresh = await asNobody(['story', 'new', '-t', 'New', '-p', 'p'], home);
    expectStorageError(fresh, new RegExp(`^luna: cannot open the database ${home}/luna\\.db: permission denied`), new RegExp(`^hint: make the folder ${home} writable by this user`));
    const below = await asNobody(['story', 'list'], path.join(home, 'sub'));
    expectStorageError(below, new RegExp(`^luna: cannot create database folder ${home}/sub: permission denied \\(EACCES\\)$`), new RegExp(`^hint: make ${home} writable by this user`));
  });
});

describe('storageError', () => {
  it('judges a generic failure by SQLite\'s words (a turn\'s error event carries only the message)', () => {
    const file = path.join(tmpdir(), 'x', 'luna.db');
    const full = storageError(new LunaError('database or disk is full', ExitCode.failure), file) as LunaError;
    expect(full).toBeInstanceOf(DatabaseError);
    expect(full.message).toBe(`cannot write to the database ${file}: no space left on device (ENOSPC)`);
    const ro = storageError(new LunaError('attempt to write a readonly database', ExitCode.failure), file) as LunaError;
    expect(ro.exitCode).toBe(ExitCode.database);
    const usage = new UsageError('database or disk is full');
    expect(storageError(usage, file)).toBe(usage); // a deliberate exit code stays
    const other = new LunaError('model down', ExitCode.failure);
    expect(storageError(other, file)).toBe(other);
  });
});
