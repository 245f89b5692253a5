import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DatabaseError } from '../../src/errors.js';
import { openStore, resolveStoreTarget } from '../../src/store/open.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { runStoreContract } from './contract.js';

const root = mkdtempSync(path.join(tmpdir(), 'luna-store-'));
let n = 0;
const freshFile = () => path.join(root, `db-${process.pid}-${n++}`, 'luna.db');
afterAll(() => rmSync(root, { recursive: true, force: true }));

runStoreContract('sqlite (temp file)', () => openSqliteStore(freshFile(), { autoMigrate: true }));

describe('SQLite store specifics', () => {
  it('resolves database URLs', () => {
    expect(resolveStoreTarget(undefined, '/h')).toEqual({ dialect: 'sqlite', file: path.join('/h', 'luna.db') });
    expect(resolveStoreTarget('sqlite::memory:', '/h')).toEqual({ dialect: 'sqlite', file: ':memory:' });
    expect(resolveStoreTarget('sqlite:/var/x.db', '/h')).toEqual({ dialect: 'sqlite', file: '/var/x.db' });
    expect(resolveStoreTarget('sqlite:///var/x.db', '/h')).toEqual({ dialect: 'sqlite', file: '/var/x.db' });
    expect(resolveStoreTarget('/tmp/y.db', '/h')).toEqual({ dialect: 'sqlite', file: '/tmp/y.db' });
    expect(resolveStoreTarget('sqlite:~/.luna/luna.db', '/h')).toEqual({ dialect: 'sqlite', file: path.join(homedir(), '.luna/luna.db') });
    expect(resolveStoreTarget('postgresql://u:p@db/luna', '/h')).toEqual({ dialect: 'postgres', url: 'postgresql://u:p@db/luna' });
    expect(() => resolveStoreTarget('mysql://u:secret@db/x', '/h')).toThrow(/unsupported scheme/);
    expect(() => resolveStoreTarget('mysql://u:secret@db/x', '/h')).not.toThrow(/secret/);
  });

  it('creates <home>/luna.db on first open and migrates it automatically', async () => {
    const home = path.join(root, 'home-auto');
    const store = await openStore({ poolSize: 1 }, home, { autoMigrateSqlite: true });
    try {
      expect(existsSync(path.join(home, 'luna.db'))).toBe(true);
      await store.assertSchemaCurrent();
    } finally {
      await store.close();
    }
    const raw = await openStore({ url: 'sqlite::memory:', poolSize: 1 }, home, { autoMigrateSqlite: false });
    try {
      expect((await raw.migrationStatus()).current).toBe(0);
      await expect(raw.assertSchemaCurrent()).rejects.toThrow(/run luna migrate up|version 0/);
    } finally {
      await raw.close();
    }
  });

  it('steps migrations up and down one version at a time on a file', async () => {
    const file = freshFile();
    const s = await openSqliteStore(file);
    try {
      const tables = () => new Set((s.db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).pluck().all() as string[]));
      expect(await s.migrateUp(1)).toEqual([1]);
      expect(tables().has('turns')).toBe(true);
      expect(tables().has('image_prompts')).toBe(false);
      expect(await s.migrateUp(2)).toEqual([2]);
      expect(tables().has('image_prompts')).toBe(true);
      expect(await s.migrateUp(3)).toEqual([3]);
      expect(tables().has('api_keys')).toBe(true);
      // 4 rebuilds the FTS index scoped by story: an existing turn stays findable, only in its own story.
      const st = await s.createStory({ title: 'T', premise: 'P' });
      // Raw SQL: today's commitTurn reads back columns (migration 9) this schema does not have yet.
      s.db.prepare(`INSERT INTO turns (id, story_id, parent_id, depth, action, prose, plan, created_at) VALUES ('t1', ?, NULL, 1, 'I find the brass compass', 'It points north.', NULL, 'now')`).run(st.id);
      expect(await s.migrateUp(4)).toEqual([4]);
      expect(await s.searchTurns(st.id, 'compass', 5)).toHaveLength(1);
      expect(await s.searchTurns('other-story', 'compass', 5)).toHaveLength(0);
      const ftsColumns = () => (s.db.prepare(`SELECT name FROM pragma_table_info('turns_fts')`).pluck().all() as string[]);
      expect(ftsColumns()).toEqual(['story_id', 'action', 'prose']);
      expect(await s.migrateUp(5)).toEqual([5]);
      expect(tables().has('ledger_daily')).toBe(true);
      // 6 gives lore its World Info rules: an existing entry keeps behaving as a plain keyword entry.
      s.db.prepare(`INSERT INTO lore (id, story_id, title, keywords, body, constant, created_at) VALUES ('l1', ?, 'Old', '["old"]', 'b', 0, 'now')`).run(st.id);
      expect(await s.migrateUp(6)).toEqual([6]);
      expect(tables().has('story_cards')).toBe(true);
      expect(await s.listLore(st.id)).toEqual([expect.objectContaining({ title: 'Old', keywords: ['old'], logic: 'and-any', wholeWords: true, probability: 100, enabled: true })]);
      // later migrations have their own tests; here they only have to go up and come back down cleanly
      const latest = (await s.migrationStatus()).latest;
      const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
      expect(await s.migrateUp()).toEqual(range(7, latest));
      expect(await s.migrateDown(3)).toEqual(range(4, latest).reverse());
      expect(tables().has('story_cards')).toBe(false);
      expect(tables().has('ledger_daily')).toBe(false);
      expect(ftsColumns()).toEqual(['action', 'prose']);
      await s.deleteStory(st.id);
      expect(await s.migrateDown(1)).toEqual([3, 2]);
      expect(tables().has('api_keys')).toBe(false);
      expect(tables().has('image_prompts')).toBe(false);
      expect(await s.migrateDown(0)).toEqual([1]);
      expect([...tables()].filter((t) => t !== 'schema_migrations' && !t.startsWith('sqlite_'))).toEqual([]);
      expect(await s.migrateUp()).toEqual(range(1, latest));
      expect(s.db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(s.db.pragma('foreign_keys', { simple: true })).toBe(1);
    } finally {
      await s.close();
    }
  });

  it('refuses a database from the future (DatabaseError, exit 5) and never auto-migrates it', async () => {
    const file = freshFile();
    (await openSqliteStore(file, { autoMigrate: true })).close();
    const raw = new Database(file);
    raw.prepare(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, 'from_the_future', '2030-01-01T00:00:00.000Z')`).run();
    raw.close();
    const s = await openStore({ url: `sqlite:${file}`, poolSize: 1 }, root, { autoMigrateSqlite: true });
    try {
      const err = await s.assertSchemaCurrent().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DatabaseError);
      expect((err as DatabaseError).exitCode).toBe(5);
      expect((err as DatabaseError).message).toMatch(/database schema is at version 99 but this luna knows only up to \d+/);
      expect((err as DatabaseError).hint).toBe('upgrade luna');
      await expect(s.migrateUp()).rejects.toBeInstanceOf(DatabaseError);
      await expect(s.migrateDown(0)).rejects.toBeInstanceOf(DatabaseError);
      const status = await s.migrationStatus();
      expect(status.current).toBe(99);
      expect(status.migrations.at(-1)).toMatchObject({ version: 99, name: 'from_the_future' });
    } finally {
      await s.close();
    }
  });

  const worker = path.join(import.meta.dirname, 'claim-worker.ts');
  function spawnWorkers(file: string, names: string[]) {
    return names.map((name) => {
      const child = spawn(process.execPath, ['--import', 'tsx', worker, file, name], { stdio: ['pipe', 'pipe', 'inherit'] });
      let out = '';
      const ready = new Promise<void>((resolve) => child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('ready\n')) resolve();
      }));
      const done = new Promise<string[]>((resolve, reject) => child.on('exit', (code) => {
        if (code !== 0) reject(new Error(`worker ${name} exited ${code}`));
        else resolve(JSON.parse(out.split('\n').filter(Boolean).at(-1)!) as string[]);
      }));
      return { child, ready, done };
    });
  }

  it('several processes opening a fresh file at once migrate it exactly once', async () => {
    const file = freshFile();
    const procs = spawnWorkers(file, ['m1', 'm2', 'm3']);
    await Promise.all(procs.map((p) => p.ready));
    for (const p of procs) p.child.stdin.write('go\n');
    expect(await Promise.all(procs.map((p) => p.done))).toEqual([[], [], []]);
    const s = await openSqliteStore(file);
    try {
      const status = await s.migrationStatus();
      expect(status.current).toBe(status.latest);
      expect(s.db.prepare('SELECT count(*) FROM schema_migrations').pluck().get()).toBe(status.latest);
      expect(s.db.prepare('SELECT count(*) FROM accounts').pluck().get()).toBe(1);
    } finally {
      await s.close();
    }
  }, 60_000);

  it('two processes claiming from one file never share a job', async () => {
    const file = freshFile();
    const s = await openSqliteStore(file, { autoMigrate: true });
    const story = await s.createStory({ title: 'T', premise: 'P' });
    const jobs = await s.enqueueJobs(Array.from({ length: 300 }, (_, i) => ({ kind: 'embed-turn' as const, storyId: story.id, turnId: null, payload: { i } })));
    const procs = spawnWorkers(file, ['p1', 'p2']);
    await Promise.all(procs.map((p) => p.ready));
    for (const p of procs) p.child.stdin.write('go\n');
    const [a, b] = await Promise.all(procs.map((p) => p.done));
    const all = [...a!, ...b!];
    expect(new Set(all).size).toBe(all.length);
    expect(all.sort()).toEqual(jobs.map((j) => j.id).sort());
    expect(await s.jobCounts(story.id)).toEqual({ queued: 0, running: 0, done: 300, failed: 0 });
    await s.close();
  }, 60_000);
});
