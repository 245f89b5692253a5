import type { LedgerAggregateRow, LedgerFilter, LedgerGroupKey, LedgerRollupCheck, LedgerRow } from './ledger.js';
import type { BurstInstance, Job, JobKind, JobState, MigrationStatus } from './ops.js';
import type {
  Account, ApiKey, ArcSummary, Entity, EntityPatch, Fact, FactOrigin, FactWriteMeta, LoreEntry, MemoryChange, MemoryProposal, NewEntity, NewFact, NewLore, NewTurnImage, PassageSearch, PassageTurn, StoryCard, SearchHit, Story, StoryBundle, StoryMemory, StorySummary, Turn, TurnCommit, TurnImage,
  EditedTurn,
} from './records.js';

/**
 * The storage contract, one interface per role. SQLite (better-sqlite3, embedded default) and PostgreSQL
 * (pg) implement every role with identical behaviour; test/store/contract.ts runs one suite against both.
 * Everything is async so that a networked store fits. Every multi-row write is one transaction.
 * A consumer asks for the roles it uses (PipelineStore), so a fake or a narrower store can stand in.
 */

export type Dialect = 'sqlite' | 'postgres';

export interface MigrationStore {
  migrationStatus(): Promise<MigrationStatus>;
  /** Applies pending migrations (or up to `to`). Returns the versions applied. */
  migrateUp(to?: number): Promise<number[]>;
  /** Rolls back every applied migration above `to`, newest first. Returns the versions reverted. */
  migrateDown(to: number): Promise<number[]>;
  /** Throws DatabaseError when the schema is behind (hint: luna migrate up) or ahead of this code. */
  assertSchemaCurrent(): Promise<void>;
}

export interface AccountStore {
  ensureAccount(id: string, name?: string, tier?: string): Promise<Account>;
  getAccount(id: string): Promise<Account | null>;
  listAccounts(): Promise<Account[]>;
  /** Creates a new account (id defaults to a random short id); UsageError when the id is taken. */
  createAccount(input: { id?: string; name: string; tier?: string }): Promise<Account>;
  /** Issues a key for the account; `secret` is returned only here and never stored. */
  createApiKey(accountId: string, label?: string): Promise<{ key: ApiKey; secret: string }>;
  listApiKeys(accountId?: string): Promise<ApiKey[]>;
  /** Marks the key revoked (kept for audit); false when no live key has this id. */
  revokeApiKey(id: string): Promise<boolean>;
  /** The account a live (unrevoked) key belongs to, or null; records the key's last use. */
  resolveApiKey(secret: string): Promise<{ keyId: string; accountId: string } | null>;
}

export interface StoryStore {
  createStory(input: { accountId?: string; title: string; premise: string; style?: string }): Promise<Story>;
  /** By exact id, or by a unique prefix of at least 4 characters (UsageError when ambiguous). */
  getStory(id: string): Promise<Story | null>;
  listStories(filter?: { accountId?: string }): Promise<StorySummary[]>;
  deleteStory(id: string): Promise<boolean>;
  /** Moves the story's head (undo, branch switch). Fails with BusyError if expectedHeadId no longer holds. */
  setHead(storyId: string, headTurnId: string | null, expectedHeadId?: string | null): Promise<void>;
  importStory(bundle: StoryBundle, accountId?: string): Promise<Story>;
  /** Sets the story's Author's Note ('' clears it); NotFoundError for an unknown story. */
  setAuthorNote(storyId: string, note: string): Promise<Story>;
}

export interface TurnStore {
  getTurn(id: string): Promise<Turn | null>;
  /** The story's turns with these exact ids (unknown ids and other stories' turns are skipped), in the order asked. */
  getTurns(storyId: string, ids: readonly string[]): Promise<Turn[]>;
  /** The turns from the root to `headTurnId` inclusive, oldest first. `limit` keeps only the last N. */
  getBranch(storyId: string, headTurnId: string | null, opts?: { limit?: number }): Promise<Turn[]>;
  /** Ids of the turns on the branch ending at headTurnId (cheap; for filtering retrieval). */
  getBranchIds(storyId: string, headTurnId: string | null): Promise<string[]>;
  getChildren(turnId: string | null, storyId: string): Promise<Turn[]>;
  /** Tips (turns without children) of every branch in the story. */
  listLeaves(storyId: string): Promise<Turn[]>;
  countTurns(storyId: string): Promise<number>;
  /** Writes the turn, its entities, facts, ledger rows and jobs, and moves the head: all or nothing. */
  commitTurn(commit: TurnCommit): Promise<Turn>;
  /**
   * Replaces a turn's prose and stamps editedAt, in one transaction: the search index follows, the turn's
   * embedding is dropped and `jobs` are queued for it. NotFoundError when the story has no such turn.
   */
  /** Replaces a turn's prose and forgets what the Dreamer derived from the old one; says how much went. */
  editTurnProse(storyId: string, turnId: string, prose: string, jobs?: { kind: JobKind; payload?: Record<string, unknown> }[]): Promise<EditedTurn>;
}

export interface MemoryStore {
  listEntities(storyId: string): Promise<Entity[]>;
  /** Facts of the story's entities, oldest first along depth; the caller filters to the branch. */
  listFacts(storyId: string): Promise<Fact[]>;
  /** `turnId` is the turn the facts apply from (null: story-level); meta says who wrote them (default plan/import). */
  upsertEntities(storyId: string, turnId: string | null, entities: NewEntity[], facts: NewFact[], meta?: FactWriteMeta): Promise<void>;
  listLore(storyId: string): Promise<LoreEntry[]>;
  addLore(storyId: string, entry: NewLore): Promise<LoreEntry>;
  addArcSummary(s: Omit<ArcSummary, 'id' | 'createdAt'>): Promise<ArcSummary>;
  listArcSummaries(storyId: string): Promise<ArcSummary[]>;
  /** Full-text search over action+prose of the story's turns (best first). */
  searchTurns(storyId: string, query: string, limit: number): Promise<SearchHit[]>;
  /**
   * searchTurns, and the first `read` hits' turns as getPassageTurns reads them (and the turns `also`, when
   * there are hits), together: one round trip on PostgreSQL, where context assembly otherwise waits for the
   * search, then the turns, then their neighbours.
   */
  searchPassages(storyId: string, query: string, limit: number, read: number, also?: readonly string[]): Promise<PassageSearch>;
  /** The story's turns among `ids` (in that order), each with its parent's tail and its children's heads: one read. */
  getPassageTurns(storyId: string, ids: readonly string[]): Promise<PassageTurn[]>;
  putEmbedding(turnId: string, storyId: string, vector: Float32Array): Promise<void>;
  /** Nearest turns by cosine distance (score = similarity, best first). Empty when no vectors stored. */
  searchEmbeddings(storyId: string, vector: Float32Array, limit: number): Promise<SearchHit[]>;
  /** Total characters of action+prose on the branch plus lore, for compression ratios without loading it all. */
  historySize(storyId: string, headTurnId: string | null): Promise<{ turns: number; chars: number; loreChars: number }>;
  /**
   * listEntities, listFacts, listLore, listArcSummaries and historySize in one read (one round trip on
   * PostgreSQL): what context assembly needs on every turn. With `knownLoreRev` still the story's lore revision,
   * the lore is not read (loreUnchanged): a lorebook of 1,000 entries rarely changes, and was most of the read.
   */
  storyMemory(storyId: string, headTurnId: string | null, opts?: { knownLoreRev?: number }): Promise<StoryMemory>;
  /**
   * The entities and facts the story's last storyMemory read returned in this process, if any
   * (src/store/branch-cache.ts): a hint that may be stale, so context assembly can start its search before the
   * memory arrives, and check after.
   */
  memoryHint?(storyId: string): { entities: Entity[]; facts: Fact[] } | undefined;
  /** Dreamer output: one image-generation prompt per turn (replaced on re-run). */
  saveImagePrompt(turnId: string, prompt: string): Promise<void>;
  getImagePrompts(turnIds: string[]): Promise<Record<string, string>>;
}

/** Editing a story's lore, and the character card it was made from (src/store/sql/lore.ts). */
export interface LoreStore {
  /** Changes the named fields of one entry; NotFoundError when the story has no entry with this id. */
  updateLore(storyId: string, id: string, patch: Partial<NewLore>): Promise<LoreEntry>;
  /** False when the story has no entry with this id. */
  deleteLore(storyId: string, id: string): Promise<boolean>;
  /**
   * Adds every entry in one transaction (all or none); `replace` first removes the story's existing lore;
   * `uniqueTitles` refuses (UsageError) an entry whose title (any case) the story or the batch already has.
   */
  importLore(storyId: string, entries: NewLore[], opts?: { replace?: boolean; uniqueTitles?: boolean }): Promise<LoreEntry[]>;
  getStoryCard(storyId: string): Promise<StoryCard | null>;
}

/** A player's corrections to story memory and the review queue (src/store/sql/memory-edit.ts, docs/memory.md). */
export interface MemoryEditStore {
  /** Changes the named fields; a new name must be free in the story (UsageError) and the old one becomes an alias. */
  editEntity(storyId: string, entityId: string, patch: EntityPatch): Promise<Entity>;
  /** Moves `fromId`'s name, aliases and facts onto `intoId` and removes it, in one transaction. */
  mergeEntities(storyId: string, fromId: string, intoId: string): Promise<Entity>;
  /** Removes an entity with its facts (their history too), in one transaction; returns how many fact rows went. */
  removeEntity(storyId: string, entityId: string): Promise<number>;
  /** Queues changes as pending proposals made at `turnId` (the turn they apply from when accepted). */
  addProposals(storyId: string, turnId: string | null, origin: FactOrigin, changes: MemoryChange[]): Promise<MemoryProposal[]>;
  listProposals(storyId: string, filter?: { state?: MemoryProposal['state'] }): Promise<MemoryProposal[]>;
  /** Accepts (writes) or rejects pending proposals by id or unique id prefix, or every pending one; all or nothing. */
  decideProposals(storyId: string, ids: string[] | 'all', accept: boolean): Promise<MemoryProposal[]>;
}

/** Images linked to turns (src/store/sql/images.ts); the files themselves live outside the database. */
export interface ImageStore {
  /** Replaces the turn's images with these (a re-run job does not duplicate them), in one transaction. */
  replaceTurnImages(turnId: string, prompt: string, images: Omit<NewTurnImage, 'prompt'>[]): Promise<TurnImage[]>;
  /** The story's images, oldest turn first (by depth), then by n; `turnIds` narrows to those turns. */
  listTurnImages(storyId: string, opts?: { turnIds?: string[] }): Promise<TurnImage[]>;
  /** One image of the story, or null (an image of another story is null too). */
  getTurnImage(storyId: string, id: string): Promise<TurnImage | null>;
}

export interface LedgerStore {
  recordCalls(rows: LedgerRow[]): Promise<void>;
  listCalls(filter?: LedgerFilter & { limit?: number }): Promise<LedgerRow[]>;
  aggregateCalls(groupBy: LedgerGroupKey[], filter?: LedgerFilter): Promise<LedgerAggregateRow[]>;
  /** Calls in the ledger against calls in each daily roll-up table: all three agree unless something bypassed luna. */
  checkLedgerRollup(): Promise<LedgerRollupCheck>;
  /** Recomputes the daily roll-up from the ledger, in one transaction. */
  rebuildLedgerRollup(): Promise<void>;
}

export interface NewJob { kind: JobKind; storyId: string; turnId: string | null; payload?: Record<string, unknown>; maxAttempts?: number }

/** The durable Dreamer queue. */
export interface JobStore {
  enqueueJobs(jobs: NewJob[]): Promise<Job[]>;
  /** Atomically claims the next runnable job (queued, runAfter ≤ now, or a running job whose lock expired). */
  claimJob(workerId: string, lockMs: number, kinds?: JobKind[]): Promise<Job | null>;
  completeJob(id: string, workerId: string): Promise<void>;
  /** Pushes a held job's lock to now + lockMs (a long job keeps it); BusyError when the worker no longer holds it. */
  extendJobLock(id: string, workerId: string, lockMs: number): Promise<void>;
  /**
   * Records a failure; requeues with runAfter = now + backoff, or marks failed after maxAttempts, or at once
   * when `final` (a failure no retry can fix, e.g. a workflow ComfyUI refuses).
   */
  failJob(id: string, workerId: string, error: string, backoffMs: number, final?: boolean): Promise<Job>;
  listJobs(filter?: { storyId?: string; state?: JobState; limit?: number }): Promise<Job[]>;
  jobCounts(storyId?: string): Promise<Record<JobState, number>>;
  /**
   * Transactional outbox handed to an external queue (BullMQ): the rows among `ids` that are still 'queued'
   * become 'running' held by `owner` with no lock expiry, so store-table workers never claim them.
   * Returns the ids it marked.
   */
  markJobsRelayed(ids: string[], owner: string): Promise<string[]>;
  /**
   * Mirrors an external queue's view of a job onto its row so `luna jobs` reads the same for every backend.
   * A 'done' row is never reopened; 'done'/'failed' release the holder.
   */
  mirrorJob(id: string, update: { state: JobState; attempts: number; lastError: string | null }): Promise<void>;
}

/** Rented GPU instances (operator data: no account). */
export interface BurstStore {
  saveBurstInstance(instance: BurstInstance): Promise<void>;
  getBurstInstance(id: string): Promise<BurstInstance | null>;
  listBurstInstances(filter?: { deployment?: string; activeOnly?: boolean }): Promise<BurstInstance[]>;
}

export interface StoreLifecycle {
  readonly dialect: Dialect;
  close(): Promise<void>;
}

/** Every role plus its lifecycle: what `openStore` returns and front ends hold. */
export type Store = StoreLifecycle & MigrationStore & AccountStore & StoryStore & TurnStore & MemoryStore & MemoryEditStore & LoreStore & ImageStore & LedgerStore & JobStore & BurstStore;

/** What a job queue (src/queue) needs of a store: the jobs table, and the dialect for its messages. */
export type QueueStore = Pick<StoreLifecycle, 'dialect'> & JobStore;

/**
 * What src/pipeline reads and writes: a story's branch and memory, the turn commit, ledger rows for calls
 * outside a commit, and the Dreamer's outputs; plus what the job queue it opens needs (QueueStore).
 */
export type PipelineStore = QueueStore
  & Pick<StoryStore, 'getStory'>
  & Pick<TurnStore, 'getTurn' | 'getTurns' | 'getBranch' | 'getBranchIds' | 'commitTurn'>
  & Pick<MemoryStore, 'listEntities' | 'listFacts' | 'upsertEntities' | 'listLore' | 'addArcSummary' | 'listArcSummaries' | 'searchTurns' | 'searchPassages' | 'getPassageTurns'
    | 'putEmbedding' | 'searchEmbeddings' | 'historySize' | 'storyMemory' | 'memoryHint' | 'saveImagePrompt' | 'getImagePrompts'>
  & Pick<MemoryEditStore, 'addProposals'>
  & Pick<ImageStore, 'replaceTurnImages'>
  & Pick<LedgerStore, 'recordCalls'>;
