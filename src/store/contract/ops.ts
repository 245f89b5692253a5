/** Operational records: Dreamer jobs, rented burst instances, schema migrations. */

export type JobState = 'queued' | 'running' | 'done' | 'failed';
export type JobKind = 'arc-summary' | 'entity-sheet' | 'embed-turn' | 'image-prompt' | 'story-summary' | 'extract-facts';

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

