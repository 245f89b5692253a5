/**
 * The one storage contract. SQLite (better-sqlite3, embedded default) and PostgreSQL (pg) implement it
 * with identical behaviour; test/store/contract.ts runs the same suite against both.
 * Everything is async so that a networked store fits. Every multi-row write is one transaction.
 */

export type Dialect = 'sqlite' | 'postgres';
export const DEFAULT_ACCOUNT_ID = 'local';

export interface Account {
  id: string;
  name: string;
  tier: string;
  createdAt: string;
}

/** An API key as listed: the secret itself is shown once at creation and only its sha256 is stored. */
export interface ApiKey {
  id: string;
  accountId: string;
  label: string;
  /** Visible start of the secret (e.g. `luna_7k2f9a1b`), to tell keys apart. */
  prefix: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export interface Story {
  id: string;
  accountId: string;
  title: string;
  premise: string;
  style: string;
  /** The turn the story currently continues from (the tip of the current branch); null before the first turn. */
  headTurnId: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface StorySummary extends Story {
  turnCount: number;
}

export interface Turn {
  id: string;
  storyId: string;
  parentId: string | null;
  /** 1 for the first turn; parent's depth + 1 (its position on its branch). */
  depth: number;
  action: string;
  prose: string;
  /** Strategist plan as stored (JSON), null for imported turns. */
  plan: unknown | null;
  createdAt: string;
}

export type EntityKind = 'character' | 'place' | 'item' | 'faction' | 'other';

export interface Entity {
  id: string;
  storyId: string;
  name: string;
  kind: EntityKind;
  aliases: string[];
  description: string;
  /** Turn that introduced it; null for entities from an import's sheet or lore. */
  firstTurnId: string | null;
  createdAt: string;
}

export interface Fact {
  id: string;
  entityId: string;
  /** What the fact is about, e.g. "sword", "location", "sister". A newer fact with the same key supersedes older ones on the branch. */
  key: string;
  value: string;
  turnId: string | null;
  /** Depth of turnId (0 for facts not tied to a turn): orders facts along a branch. */
  depth: number;
  createdAt: string;
}

export interface LoreEntry {
  id: string;
  storyId: string;
  title: string;
  /** Words that trigger this entry when they appear in the action or recent turns. */
  keywords: string[];
  body: string;
  /** Always included (world rules) regardless of keywords. */
  constant: boolean;
}

export interface ArcSummary {
  id: string;
  storyId: string;
  /** Last turn the summary covers; the summary is visible on every branch containing it. */
  toTurnId: string;
  fromDepth: number;
  toDepth: number;
  kind: 'arc' | 'story';
  summary: string;
  createdAt: string;
}

export type CallOutcome = 'ok' | 'retried' | 'failed' | 'fallback';
export const LEDGER_AGENTS = ['preprocessor', 'strategist', 'writer', 'dreamer', 'burst', 'other'] as const;
export type LedgerAgent = (typeof LEDGER_AGENTS)[number];

export interface LedgerRow {
  id?: string;
  accountId: string;
  storyId: string | null;
  turnId: string | null;
  agent: LedgerAgent;
  provider: string;
  model: string;
  inputTokens: number;
  outputTokens: number;
  cachedTokens: number;
  /** True when a tokenizer estimate stands in for provider-reported usage. */
  estimated: boolean;
  latencyMs: number;
  ttftMs: number | null;
  outcome: CallOutcome;
  /** USD; null when the price was unknown (never silently zero). */
  costUsd: number | null;
  /** The price charged at, USD per million tokens, kept so later price changes do not rewrite history. */
  priceInPerMTok: number | null;
  priceOutPerMTok: number | null;
  /** Burst rows: the instance billed. */
  instanceId?: string | null;
  createdAt?: string;
}

export type JobState = 'queued' | 'running' | 'done' | 'failed';
export type JobKind = 'arc-summary' | 'entity-sheet' | 'embed-turn' | 'image-prompt' | 'story-summary';

export interface Job {
  id: string;
  kind: JobKind;
  storyId: string;
  turnId: string | null;
  payload: Record<string, unknown>;
  state: JobState;
  attempts: number;
  maxAttempts: number;
  runAfter: string;
  lockedBy: string | null;
  lockedUntil: string | null;
  lastError: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface NewEntity {
  /** Existing entity to extend (facts/aliases), or undefined to create. */
  id?: string;
  name: string;
  kind: EntityKind;
  aliases?: string[];
  description?: string;
}

export interface NewFact {
  /** Entity by id, or by name from `entities` in the same commit. */
  entityId?: string;
  entityName?: string;
  key: string;
  value: string;
}

export interface TurnCommit {
  storyId: string;
  /** The head this turn was planned against. The commit fails with BusyError if the head moved. */
  expectedHeadId: string | null;
  /** Parent of the new turn (normally expectedHeadId; differs for retry/branch-from). */
  parentId: string | null;
  action: string;
  prose: string;
  plan: unknown | null;
  entities: NewEntity[];
  facts: NewFact[];
  ledger: Omit<LedgerRow, 'turnId' | 'storyId' | 'accountId'>[];
  jobs: { kind: JobKind; payload?: Record<string, unknown> }[];
  /**
   * Hard limits re-checked inside the commit transaction, so two turns racing for the last unit of a
   * budget or quota cannot both land: the loser fails with BudgetError (exit 8) and writes nothing.
   */
  limits?: TurnLimit[];
}

export interface TurnLimit {
  /** 'account': the story's account only; 'global': every account. */
  scope: 'account' | 'global';
  /** ISO start of the period (day or month) the limit counts from. */
  since: string;
  /** Committed turns allowed in the period, this one included; null/undefined = unlimited. */
  maxTurns?: number | null;
  /** Ledger spend allowed in the period (USD), this turn's calls included; null/undefined = unlimited. */
  maxCostUsd?: number | null;
  /** What to tell the player when the commit refuses the turn (when it resets, which key raises it). */
  hint?: string;
  /** Shown in the BudgetError, e.g. "free tier: 100 turns a month". */
  label: string;
}

export interface MigrationInfo {
  version: number;
  name: string;
  appliedAt: string | null;
}

export interface MigrationStatus {
  current: number;
  latest: number;
  migrations: MigrationInfo[];
}

export interface SearchHit {
  turnId: string;
  score: number;
}

export interface LedgerFilter {
  since?: string;
  until?: string;
  storyId?: string;
  accountId?: string;
  agent?: string;
}

export interface LedgerRollupCheck {
  ledgerCalls: number;
  perAccountCalls: number;
  acrossAccountsCalls: number;
  costUsd: { ledger: number; perAccount: number; acrossAccounts: number };
}

export type LedgerGroupKey = 'agent' | 'model' | 'provider' | 'story' | 'account' | 'day' | 'month' | 'turn';

export interface LedgerAggregateRow {
  keys: Record<string, string | null>;
  calls: number;
  inputTokens: number;
  outputTokens: number;
  cachedTokens: number;
  costUsd: number;
  unpricedCalls: number;
  estimatedCalls: number;
  failedCalls: number;
  fallbackCalls: number;
  turns: number;
  latencyP50Ms: number | null;
  latencyP95Ms: number | null;
}

export interface StoryBundle {
  title: string;
  premise: string;
  style?: string;
  lore?: { title: string; keywords?: string[]; body: string; constant?: boolean }[];
  entities?: { name: string; kind?: EntityKind; aliases?: string[]; description?: string; facts?: { key: string; value: string; turn?: number }[] }[];
  /** Main line, in order. */
  turns: { action: string; prose: string }[];
  /** Side branches: each starts after turn `from` (1-based index into `turns`, 0 = from the start). */
  branches?: { from: number; turns: { action: string; prose: string }[] }[];
}

export type BurstState = 'launching' | 'starting' | 'ready' | 'draining' | 'terminating' | 'terminated' | 'failed';

/** A rented GPU instance, recorded before the launch call and after every change, so none is ever forgotten. */
export interface BurstInstance {
  /** LUNA's id; the provider-side name/label is `luna-<deployment>-<id>`. */
  id: string;
  name: string;
  deployment: string;
  provider: 'runpod' | 'vast' | 'lambda';
  /** Provider's instance/pod/contract id; null until the launch call answered. */
  providerInstanceId: string | null;
  gpuType: string;
  gpuCount: number;
  pricePerHour: number;
  state: BurstState;
  /** OpenAI-compatible base URL once known. */
  endpoint: string | null;
  /** Per-instance vLLM --api-key. Stored so any luna process can route to it; never logged or ledgered. */
  apiKey: string | null;
  /** Model names (from config) this instance serves. */
  serves: string[];
  launchedAt: string;
  readyAt: string | null;
  lastActiveAt: string | null;
  terminatedAt: string | null;
  /** Spend already written to the ledger up to this time (spend rows are incremental). */
  billedUntil: string | null;
  lastError: string | null;
}

export interface Store {
  readonly dialect: Dialect;
  close(): Promise<void>;

  // --- schema ---
  migrationStatus(): Promise<MigrationStatus>;
  /** Applies pending migrations (or rolls back to `to`). Returns versions applied/reverted. */
  migrateUp(to?: number): Promise<number[]>;
  migrateDown(to: number): Promise<number[]>;
  /** Throws DatabaseError when the schema is behind (hint: luna migrate up) or ahead of this code. */
  assertSchemaCurrent(): Promise<void>;

  // --- accounts ---
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

  // --- stories ---
  createStory(input: { accountId?: string; title: string; premise: string; style?: string }): Promise<Story>;
  getStory(id: string): Promise<Story | null>;
  listStories(filter?: { accountId?: string }): Promise<StorySummary[]>;
  deleteStory(id: string): Promise<boolean>;
  /** Moves the story's head (undo, branch switch). Fails with BusyError if expectedHeadId no longer holds. */
  setHead(storyId: string, headTurnId: string | null, expectedHeadId?: string | null): Promise<void>;
  importStory(bundle: StoryBundle, accountId?: string): Promise<Story>;

  // --- turns ---
  getTurn(id: string): Promise<Turn | null>;
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

  // --- memory ---
  listEntities(storyId: string): Promise<Entity[]>;
  /** Facts of the story's entities, oldest first along depth; the caller filters to the branch. */
  listFacts(storyId: string): Promise<Fact[]>;
  upsertEntities(storyId: string, turnId: string | null, entities: NewEntity[], facts: NewFact[]): Promise<void>;
  listLore(storyId: string): Promise<LoreEntry[]>;
  addLore(storyId: string, entry: Omit<LoreEntry, 'id' | 'storyId'>): Promise<LoreEntry>;
  addArcSummary(s: Omit<ArcSummary, 'id' | 'createdAt'>): Promise<ArcSummary>;
  listArcSummaries(storyId: string): Promise<ArcSummary[]>;
  /** BM25 full-text search over action+prose of the story's turns (best first). */
  searchTurns(storyId: string, query: string, limit: number): Promise<SearchHit[]>;
  putEmbedding(turnId: string, storyId: string, vector: Float32Array): Promise<void>;
  /** Nearest turns by cosine distance (score = similarity, best first). Empty when no vectors stored. */
  searchEmbeddings(storyId: string, vector: Float32Array, limit: number): Promise<SearchHit[]>;
  /** Total characters of action+prose on the branch plus lore, for compression ratios without loading it all. */
  historySize(storyId: string, headTurnId: string | null): Promise<{ turns: number; chars: number; loreChars: number }>;
  /** Dreamer output: one image-generation prompt per turn (replaced on re-run). */
  saveImagePrompt(turnId: string, prompt: string): Promise<void>;
  getImagePrompts(turnIds: string[]): Promise<Record<string, string>>;

  // --- ledger ---
  recordCalls(rows: LedgerRow[]): Promise<void>;
  listCalls(filter?: LedgerFilter & { limit?: number }): Promise<LedgerRow[]>;
  aggregateCalls(groupBy: LedgerGroupKey[], filter?: LedgerFilter): Promise<LedgerAggregateRow[]>;
  /** Calls in the ledger against calls in each daily roll-up table: all three agree unless something bypassed luna. */
  checkLedgerRollup(): Promise<LedgerRollupCheck>;
  /** Recomputes the daily roll-up from the ledger, in one transaction. */
  rebuildLedgerRollup(): Promise<void>;

  // --- jobs (durable Dreamer queue) ---
  enqueueJobs(jobs: { kind: JobKind; storyId: string; turnId: string | null; payload?: Record<string, unknown>; maxAttempts?: number }[]): Promise<Job[]>;
  /** Atomically claims the next runnable job (queued, runAfter ≤ now, or a running job whose lock expired). */
  claimJob(workerId: string, lockMs: number, kinds?: JobKind[]): Promise<Job | null>;
  completeJob(id: string, workerId: string): Promise<void>;
  /** Records a failure; requeues with runAfter = now + backoff, or marks failed after maxAttempts. */
  failJob(id: string, workerId: string, error: string, backoffMs: number): Promise<Job>;
  listJobs(filter?: { storyId?: string; state?: JobState; limit?: number }): Promise<Job[]>;
  jobCounts(storyId?: string): Promise<Record<JobState, number>>;
  /**
   * Transactional outbox handed to an external queue (BullMQ): the rows among `ids` that are still 'queued'
   * become 'running' held by `owner` with no lock expiry, so store-table workers never claim them.
   * Returns the ids it marked. Optional until every store has it; the redis queue requires it.
   */
  markJobsRelayed(ids: string[], owner: string): Promise<string[]>;
  /**
   * Mirrors an external queue's view of a job onto its row so `luna jobs` reads the same for every backend.
   * A 'done' row is never reopened; 'done'/'failed' release the holder. Optional like markJobsRelayed.
   */
  mirrorJob(id: string, update: { state: JobState; attempts: number; lastError: string | null }): Promise<void>;

  // --- burst instances ---
  saveBurstInstance(instance: BurstInstance): Promise<void>;
  getBurstInstance(id: string): Promise<BurstInstance | null>;
  listBurstInstances(filter?: { deployment?: string; activeOnly?: boolean }): Promise<BurstInstance[]>;
}
