import type pg from 'pg';
import type {
  Account, ApiKey, ArcSummary, BurstInstance, Entity, Fact, Job, JobKind, JobState, LedgerAggregateRow, LedgerFilter, LedgerGroupKey,
  LedgerRollupCheck, LedgerRow, LoreEntry, MigrationStatus, NewEntity, NewFact, SearchHit, Store, Story, StoryBundle, StorySummary, Turn, TurnCommit,
} from '../types.js';
import { PgBurst } from './burst.js';
import { createPool, PgDb } from './connection.js';
import { importStoryIn } from './import.js';
import { PgJobs, type NewJob } from './jobs.js';
import { PgLedger } from './ledger.js';
import { rebuildDailyPg } from './ledger-daily.js';
import { PgMemory } from './memory.js';
import { PgMigrator } from './migrate.js';
import { PgSearch } from './search.js';
import { PgStories } from './stories.js';
import { PgTurns } from './turns.js';

export interface PostgresStoreOptions {
  poolSize?: number;
  /**
   * Scope every statement to this account: each transaction switches to the non-owner role (`role`,
   * default luna_app) and sets luna.account_id, so row-level security in the database hides other accounts.
   */
  accountId?: string;
  role?: string;
  /** Apply pending migrations at open (tests, first-run tools); the CLI migrates explicitly. */
  autoMigrate?: boolean;
}

/**
 * The PostgreSQL Store: same contract and behaviour as SQLite, on a `pg` pool. An unscoped store runs as
 * the connecting (owner) role and sees every account; `forAccount(id)` returns a store sharing the pool
 * whose every transaction is confined to that account by the database itself.
 */
export class PostgresStore implements Store {
  readonly dialect = 'postgres' as const;
  readonly migrator: PgMigrator;
  readonly db: PgDb;
  private readonly stories: PgStories;
  private readonly turns: PgTurns;
  private readonly memory: PgMemory;
  private readonly search: PgSearch;
  private readonly ledger: PgLedger;
  private readonly jobs: PgJobs;
  private readonly burst: PgBurst;
  private closed = false;

  constructor(readonly pool: pg.Pool, readonly accountId: string | null, private readonly ownsPool: boolean, readonly role = 'luna_app', pgvector = false) {
    this.db = new PgDb(pool, accountId, role);
    this.migrator = new PgMigrator(pool);
    this.stories = new PgStories(this.db);
    this.turns = new PgTurns(this.db);
    this.memory = new PgMemory(this.db);
    this.search = new PgSearch(this.db, pgvector);
    this.ledger = new PgLedger(this.db);
    this.jobs = new PgJobs(this.db);
    this.burst = new PgBurst(this.db);
  }

  /** A store confined to one account by row-level security, sharing this store's pool (close it first or last; only the opener ends the pool). */
  forAccount(accountId: string): PostgresStore {
    return new PostgresStore(this.pool, accountId, false, this.role, this.search['pgvector']);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.ownsPool) await this.pool.end();
  }

  async migrationStatus(): Promise<MigrationStatus> { return this.migrator.status(); }
  async migrateUp(to?: number): Promise<number[]> { return this.migrator.up(to); }
  async migrateDown(to: number): Promise<number[]> { return this.migrator.down(to); }
  async assertSchemaCurrent(): Promise<void> { return this.migrator.assertCurrent(); }

  ensureAccount(id: string, name?: string, tier?: string): Promise<Account> { return this.stories.ensureAccount(id, name, tier); }
  getAccount(id: string): Promise<Account | null> { return this.stories.getAccount(id); }
  listAccounts(): Promise<Account[]> { return this.stories.listAccounts(); }
  createAccount(input: { id?: string; name: string; tier?: string }): Promise<Account> { return this.stories.createAccount(input); }
  createApiKey(accountId: string, label?: string): Promise<{ key: ApiKey; secret: string }> { return this.stories.createApiKey(accountId, label); }
  listApiKeys(accountId?: string): Promise<ApiKey[]> { return this.stories.listApiKeys(accountId); }
  revokeApiKey(id: string): Promise<boolean> { return this.stories.revokeApiKey(id); }
  resolveApiKey(secret: string): Promise<{ keyId: string; accountId: string } | null> { return this.stories.resolveApiKey(secret); }

  createStory(input: { accountId?: string; title: string; premise: string; style?: string }): Promise<Story> { return this.stories.createStory(input); }
  getStory(id: string): Promise<Story | null> { return this.stories.getStory(id); }
  listStories(filter?: { accountId?: string }): Promise<StorySummary[]> { return this.stories.listStories(filter); }
  deleteStory(id: string): Promise<boolean> { return this.stories.deleteStory(id); }
  setHead(storyId: string, headTurnId: string | null, expectedHeadId?: string | null): Promise<void> { return this.stories.setHead(storyId, headTurnId, expectedHeadId); }
  importStory(bundle: StoryBundle, accountId?: string): Promise<Story> { return importStoryIn(this.db, bundle, accountId); }

  getTurn(id: string): Promise<Turn | null> { return this.turns.getTurn(id); }
  getBranch(storyId: string, headTurnId: string | null, opts?: { limit?: number }): Promise<Turn[]> { return this.turns.getBranch(storyId, headTurnId, opts); }
  getBranchIds(storyId: string, headTurnId: string | null): Promise<string[]> { return this.turns.getBranchIds(storyId, headTurnId); }
  getChildren(turnId: string | null, storyId: string): Promise<Turn[]> { return this.turns.getChildren(turnId, storyId); }
  listLeaves(storyId: string): Promise<Turn[]> { return this.turns.listLeaves(storyId); }
  countTurns(storyId: string): Promise<number> { return this.turns.countTurns(storyId); }
  commitTurn(commit: TurnCommit): Promise<Turn> { return this.turns.commitTurn(commit); }

  listEntities(storyId: string): Promise<Entity[]> { return this.memory.listEntities(storyId); }
  listFacts(storyId: string): Promise<Fact[]> { return this.memory.listFacts(storyId); }
  upsertEntities(storyId: string, turnId: string | null, entities: NewEntity[], facts: NewFact[]): Promise<void> {
    return this.memory.upsertEntities(storyId, turnId, entities, facts);
  }
  listLore(storyId: string): Promise<LoreEntry[]> { return this.memory.listLore(storyId); }
  addLore(storyId: string, entry: Omit<LoreEntry, 'id' | 'storyId'>): Promise<LoreEntry> { return this.memory.addLore(storyId, entry); }
  addArcSummary(s: Omit<ArcSummary, 'id' | 'createdAt'>): Promise<ArcSummary> { return this.memory.addArcSummary(s); }
  listArcSummaries(storyId: string): Promise<ArcSummary[]> { return this.memory.listArcSummaries(storyId); }
  searchTurns(storyId: string, query: string, limit: number): Promise<SearchHit[]> { return this.search.searchTurns(storyId, query, limit); }
  putEmbedding(turnId: string, storyId: string, vector: Float32Array): Promise<void> { return this.search.putEmbedding(turnId, storyId, vector); }
  searchEmbeddings(storyId: string, vector: Float32Array, limit: number): Promise<SearchHit[]> { return this.search.searchEmbeddings(storyId, vector, limit); }
  historySize(storyId: string, headTurnId: string | null): Promise<{ turns: number; chars: number; loreChars: number }> { return this.search.historySize(storyId, headTurnId); }
  saveImagePrompt(turnId: string, prompt: string): Promise<void> { return this.search.saveImagePrompt(turnId, prompt); }
  getImagePrompts(turnIds: string[]): Promise<Record<string, string>> { return this.search.getImagePrompts(turnIds); }

  recordCalls(rows: LedgerRow[]): Promise<void> { return this.ledger.recordCalls(rows); }
  listCalls(filter?: LedgerFilter & { limit?: number }): Promise<LedgerRow[]> { return this.ledger.listCalls(filter); }
  aggregateCalls(groupBy: LedgerGroupKey[], filter?: LedgerFilter): Promise<LedgerAggregateRow[]> { return this.ledger.aggregateCalls(groupBy, filter); }
  async checkLedgerRollup(): Promise<LedgerRollupCheck> {
    const r = await this.db.read((q) => q.one(`SELECT (SELECT count(*) FROM ledger) AS l, (SELECT coalesce(sum(calls), 0) FROM ledger_daily_account) AS a,
      (SELECT coalesce(sum(calls), 0) FROM ledger_daily) AS g, (SELECT coalesce(sum(cost_usd), 0) FROM ledger) AS lc,
      (SELECT coalesce(sum(cost_usd), 0) FROM ledger_daily_account) AS ac, (SELECT coalesce(sum(cost_usd), 0) FROM ledger_daily) AS gc`), 'checking the ledger roll-up');
    const n = (k: string) => Number(r?.[k] ?? 0);
    return { ledgerCalls: n('l'), perAccountCalls: n('a'), acrossAccountsCalls: n('g'), costUsd: { ledger: n('lc'), perAccount: n('ac'), acrossAccounts: n('gc') } };
  }
  rebuildLedgerRollup(): Promise<void> { return this.db.tx((q) => rebuildDailyPg(q), 'rebuilding the ledger roll-up'); }

  enqueueJobs(jobs: NewJob[]): Promise<Job[]> { return this.jobs.enqueueJobs(jobs); }
  claimJob(workerId: string, lockMs: number, kinds?: JobKind[]): Promise<Job | null> { return this.jobs.claimJob(workerId, lockMs, kinds); }
  completeJob(id: string, workerId: string): Promise<void> { return this.jobs.completeJob(id, workerId); }
  failJob(id: string, workerId: string, error: string, backoffMs: number): Promise<Job> { return this.jobs.failJob(id, workerId, error, backoffMs); }
  listJobs(filter?: { storyId?: string; state?: JobState; limit?: number }): Promise<Job[]> { return this.jobs.listJobs(filter); }
  jobCounts(storyId?: string): Promise<Record<JobState, number>> { return this.jobs.jobCounts(storyId); }
  markJobsRelayed(ids: string[], owner: string): Promise<string[]> { return this.jobs.markJobsRelayed(ids, owner); }
  mirrorJob(id: string, update: { state: JobState; attempts: number; lastError: string | null }): Promise<void> { return this.jobs.mirrorJob(id, update); }

  saveBurstInstance(instance: BurstInstance): Promise<void> { return this.burst.saveBurstInstance(instance); }
  getBurstInstance(id: string): Promise<BurstInstance | null> { return this.burst.getBurstInstance(id); }
  listBurstInstances(filter?: { deployment?: string; activeOnly?: boolean }): Promise<BurstInstance[]> { return this.burst.listBurstInstances(filter); }
}

/**
 * Opens a pool on `url` (nothing connects until the first query). pgvector is detected once here:
 * similarity search uses it when the extension is installed, else plain SQL over real[].
 */
export async function openPostgresStore(url: string, opts: PostgresStoreOptions = {}): Promise<PostgresStore> {
  const pool = createPool(url, opts.poolSize ?? 10);
  try {
    let pgvector = false;
    if (opts.autoMigrate) {
      const m = new PgMigrator(pool);
      if ((await m.currentVersion()) < m.latestVersion()) await m.up();
    }
    if (opts.accountId === undefined || opts.autoMigrate) {
      const r = await pool.query(`SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'vector') AS v`).catch(() => null);
      pgvector = Boolean(r?.rows[0]?.v);
    }
    return new PostgresStore(pool, opts.accountId ?? null, true, opts.role ?? 'luna_app', pgvector);
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw err;
  }
}
