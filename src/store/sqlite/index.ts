import type {
  Account, ApiKey, ArcSummary, BurstInstance, Entity, Fact, Job, JobKind, JobState, LedgerAggregateRow, LedgerFilter, LedgerGroupKey,
  LedgerRollupCheck, LedgerRow, LoreEntry, MigrationStatus, NewEntity, NewFact, SearchHit, Store, Story, StoryBundle, StorySummary, Turn, TurnCommit,
} from '../types.js';
import { SqliteBurst } from './burst.js';
import { openSqliteDb, writeTx, type Db } from './connection.js';
import { importStoryIn } from './import.js';
import { SqliteKeys } from './keys.js';
import { SqliteJobs, type NewJob } from './jobs.js';
import { SqliteLedger } from './ledger.js';
import { rebuildDaily } from './ledger-daily.js';
import { SqliteMemory } from './memory.js';
import { SqliteMigrator } from './migrate.js';
import { SqliteImagePrompts, SqliteSearch } from './search.js';
import { SqliteStories } from './stories.js';
import { SqliteTurns } from './turns.js';

/**
 * The embedded Store. better-sqlite3 is synchronous; the async facade keeps the contract identical to
 * PostgreSQL's, and each area lives in its own module.
 */
export class SqliteStore implements Store {
  readonly dialect = 'sqlite' as const;
  readonly migrator: SqliteMigrator;
  private readonly stories: SqliteStories;
  private readonly turns: SqliteTurns;
  private readonly memory: SqliteMemory;
  private readonly search: SqliteSearch;
  private readonly ledger: SqliteLedger;
  private readonly jobs: SqliteJobs;
  private readonly burst: SqliteBurst;
  private readonly images: SqliteImagePrompts;
  private readonly keys: SqliteKeys;
  private closed = false;

  constructor(readonly db: Db, readonly file: string) {
    this.migrator = new SqliteMigrator(db);
    this.stories = new SqliteStories(db);
    this.turns = new SqliteTurns(db);
    this.memory = new SqliteMemory(db);
    this.search = new SqliteSearch(db);
    this.ledger = new SqliteLedger(db);
    this.jobs = new SqliteJobs(db);
    this.burst = new SqliteBurst(db);
    this.images = new SqliteImagePrompts(db);
    this.keys = new SqliteKeys(db);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }

  async migrationStatus(): Promise<MigrationStatus> { return this.migrator.status(); }
  async migrateUp(to?: number): Promise<number[]> { return this.migrator.up(to); }
  async migrateDown(to: number): Promise<number[]> { return this.migrator.down(to); }
  async assertSchemaCurrent(): Promise<void> { this.migrator.assertCurrent(); }

  async ensureAccount(id: string, name?: string, tier?: string): Promise<Account> { return this.stories.ensureAccount(id, name, tier); }
  async getAccount(id: string): Promise<Account | null> { return this.stories.getAccount(id); }
  async listAccounts(): Promise<Account[]> { return this.stories.listAccounts(); }
  async createAccount(input: { id?: string; name: string; tier?: string }): Promise<Account> { return this.keys.createAccount(input); }
  async createApiKey(accountId: string, label?: string): Promise<{ key: ApiKey; secret: string }> { return this.keys.createApiKey(accountId, label); }
  async listApiKeys(accountId?: string): Promise<ApiKey[]> { return this.keys.listApiKeys(accountId); }
  async revokeApiKey(id: string): Promise<boolean> { return this.keys.revokeApiKey(id); }
  async resolveApiKey(secret: string): Promise<{ keyId: string; accountId: string } | null> { return this.keys.resolveApiKey(secret); }
  /** Online backup (SQLite backup API): a consistent copy while other processes keep writing. */
  async backupTo(file: string): Promise<void> { await this.db.backup(file); }

  async createStory(input: { accountId?: string; title: string; premise: string; style?: string }): Promise<Story> { return this.stories.createStory(input); }
  async getStory(id: string): Promise<Story | null> { return this.stories.getStory(id); }
  async listStories(filter?: { accountId?: string }): Promise<StorySummary[]> { return this.stories.listStories(filter); }
  async deleteStory(id: string): Promise<boolean> { return this.stories.deleteStory(id); }
  async setHead(storyId: string, headTurnId: string | null, expectedHeadId?: string | null): Promise<void> {
    this.stories.setHead(storyId, headTurnId, expectedHeadId);
  }
  async importStory(bundle: StoryBundle, accountId?: string): Promise<Story> { return importStoryIn(this.db, bundle, accountId); }

  async getTurn(id: string): Promise<Turn | null> { return this.turns.getTurn(id); }
  async getBranch(storyId: string, headTurnId: string | null, opts?: { limit?: number }): Promise<Turn[]> { return this.turns.getBranch(storyId, headTurnId, opts); }
  async getBranchIds(storyId: string, headTurnId: string | null): Promise<string[]> { return this.turns.getBranchIds(storyId, headTurnId); }
  async getChildren(turnId: string | null, storyId: string): Promise<Turn[]> { return this.turns.getChildren(turnId, storyId); }
  async listLeaves(storyId: string): Promise<Turn[]> { return this.turns.listLeaves(storyId); }
  async countTurns(storyId: string): Promise<number> { return this.turns.countTurns(storyId); }
  async commitTurn(commit: TurnCommit): Promise<Turn> { return this.turns.commitTurn(commit); }

  async listEntities(storyId: string): Promise<Entity[]> { return this.memory.listEntities(storyId); }
  async listFacts(storyId: string): Promise<Fact[]> { return this.memory.listFacts(storyId); }
  async upsertEntities(storyId: string, turnId: string | null, entities: NewEntity[], facts: NewFact[]): Promise<void> {
    this.memory.upsertEntities(storyId, turnId, entities, facts);
  }
  async listLore(storyId: string): Promise<LoreEntry[]> { return this.memory.listLore(storyId); }
  async addLore(storyId: string, entry: Omit<LoreEntry, 'id' | 'storyId'>): Promise<LoreEntry> { return this.memory.addLore(storyId, entry); }
  async addArcSummary(s: Omit<ArcSummary, 'id' | 'createdAt'>): Promise<ArcSummary> { return this.memory.addArcSummary(s); }
  async listArcSummaries(storyId: string): Promise<ArcSummary[]> { return this.memory.listArcSummaries(storyId); }
  async searchTurns(storyId: string, query: string, limit: number): Promise<SearchHit[]> { return this.search.searchTurns(storyId, query, limit); }
  async putEmbedding(turnId: string, storyId: string, vector: Float32Array): Promise<void> { this.search.putEmbedding(turnId, storyId, vector); }
  async searchEmbeddings(storyId: string, vector: Float32Array, limit: number): Promise<SearchHit[]> { return this.search.searchEmbeddings(storyId, vector, limit); }
  async historySize(storyId: string, headTurnId: string | null): Promise<{ turns: number; chars: number; loreChars: number }> {
    return this.search.historySize(storyId, headTurnId);
  }
  async saveImagePrompt(turnId: string, prompt: string): Promise<void> { this.images.save(turnId, prompt); }
  async getImagePrompts(turnIds: string[]): Promise<Record<string, string>> { return this.images.get(turnIds); }

  async recordCalls(rows: LedgerRow[]): Promise<void> { this.ledger.recordCalls(rows); }
  async listCalls(filter?: LedgerFilter & { limit?: number }): Promise<LedgerRow[]> { return this.ledger.listCalls(filter); }
  async aggregateCalls(groupBy: LedgerGroupKey[], filter?: LedgerFilter): Promise<LedgerAggregateRow[]> { return this.ledger.aggregateCalls(groupBy, filter); }
  async checkLedgerRollup(): Promise<LedgerRollupCheck> {
    const r = this.db.prepare(`SELECT (SELECT count(*) FROM ledger) AS l, (SELECT coalesce(sum(calls), 0) FROM ledger_daily_account) AS a,
      (SELECT coalesce(sum(calls), 0) FROM ledger_daily) AS g, (SELECT coalesce(sum(cost_usd), 0) FROM ledger) AS lc,
      (SELECT coalesce(sum(cost_usd), 0) FROM ledger_daily_account) AS ac, (SELECT coalesce(sum(cost_usd), 0) FROM ledger_daily) AS gc`).get() as Record<string, number>;
    return { ledgerCalls: r.l!, perAccountCalls: r.a!, acrossAccountsCalls: r.g!, costUsd: { ledger: r.lc!, perAccount: r.ac!, acrossAccounts: r.gc! } };
  }
  async rebuildLedgerRollup(): Promise<void> { writeTx(this.db, () => rebuildDaily(this.db)); }

  async enqueueJobs(jobs: NewJob[]): Promise<Job[]> { return this.jobs.enqueueJobs(jobs); }
  async claimJob(workerId: string, lockMs: number, kinds?: JobKind[]): Promise<Job | null> { return this.jobs.claimJob(workerId, lockMs, kinds); }
  async completeJob(id: string, workerId: string): Promise<void> { this.jobs.completeJob(id, workerId); }
  async failJob(id: string, workerId: string, error: string, backoffMs: number): Promise<Job> { return this.jobs.failJob(id, workerId, error, backoffMs); }
  async listJobs(filter?: { storyId?: string; state?: JobState; limit?: number }): Promise<Job[]> { return this.jobs.listJobs(filter); }
  async jobCounts(storyId?: string): Promise<Record<JobState, number>> { return this.jobs.jobCounts(storyId); }
  async markJobsRelayed(ids: string[], owner: string): Promise<string[]> { return this.jobs.markJobsRelayed(ids, owner); }
  async mirrorJob(id: string, update: { state: JobState; attempts: number; lastError: string | null }): Promise<void> { this.jobs.mirrorJob(id, update); }

  async saveBurstInstance(instance: BurstInstance): Promise<void> { this.burst.saveBurstInstance(instance); }
  async getBurstInstance(id: string): Promise<BurstInstance | null> { return this.burst.getBurstInstance(id); }
  async listBurstInstances(filter?: { deployment?: string; activeOnly?: boolean }): Promise<BurstInstance[]> { return this.burst.listBurstInstances(filter); }
}

/** Opens a SQLite store; with autoMigrate a new or older database is brought up to date (never a newer one). */
export async function openSqliteStore(file: string, opts: { autoMigrate?: boolean } = {}): Promise<SqliteStore> {
  const store = new SqliteStore(openSqliteDb(file), file);
  try {
    if (opts.autoMigrate) {
      const m = store.migrator;
      if (m.currentVersion() < m.latestVersion()) m.up();
    }
  } catch (err) {
    await store.close();
    throw err;
  }
  return store;
}
