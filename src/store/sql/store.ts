import type { Dialect, Store } from '../contract/roles.js';
import { SqlAccounts } from './accounts.js';
import { SqlBurst } from './burst.js';
import type { SqlContext } from './context.js';
import { SqlImages } from './images.js';
import { SqlJobs } from './jobs.js';
import { SqlLore } from './lore.js';
import { SqlMemoryEdit } from './memory-edit.js';
import type { SqlLedger } from './ledger.js';
import type { SqlMemory } from './memory.js';
import type { Migrator } from './migrator.js';
import { SqlStories } from './stories.js';
import { SqlTurns } from './turns.js';

/** The role objects a store is assembled from; a driver passes its own subclass where it has a fast path. */
export interface Roles {
  migrations: Migrator;
  memory: SqlMemory;
  ledger: SqlLedger;
  turns?: SqlTurns;
  stories?: SqlStories;
}

type RoleName = 'migrations' | 'accounts' | 'stories' | 'turns' | 'memory' | 'memoryEdit' | 'lore' | 'images' | 'ledger' | 'jobs' | 'burst';

/**
 * Which role answers each Store method: complete by type, so a method missing here does not compile.
 * memoryHint is the branch cache's (src/store/branch-cache.ts): a bare store has no hint to give.
 */
const METHODS: Record<Exclude<keyof Store, 'dialect' | 'close' | 'memoryHint'>, RoleName> = {
  migrationStatus: 'migrations', migrateUp: 'migrations', migrateDown: 'migrations', assertSchemaCurrent: 'migrations',
  ensureAccount: 'accounts', getAccount: 'accounts', listAccounts: 'accounts', createAccount: 'accounts', createApiKey: 'accounts',
  listApiKeys: 'accounts', revokeApiKey: 'accounts', resolveApiKey: 'accounts',
  createStory: 'stories', getStory: 'stories', listStories: 'stories', deleteStory: 'stories', setHead: 'stories', importStory: 'stories', setAuthorNote: 'stories',
  getTurn: 'turns', getTurns: 'turns', getBranch: 'turns', getBranchIds: 'turns', getChildren: 'turns', listLeaves: 'turns', countTurns: 'turns', commitTurn: 'turns', editTurnProse: 'turns',
  listEntities: 'memory', listFacts: 'memory', upsertEntities: 'memory', listLore: 'memory', addLore: 'memory', addArcSummary: 'memory',
  listArcSummaries: 'memory', searchTurns: 'memory', searchPassages: 'memory', getPassageTurns: 'memory', putEmbedding: 'memory', searchEmbeddings: 'memory', historySize: 'memory', storyMemory: 'memory',
  saveImagePrompt: 'memory', getImagePrompts: 'memory',
  editEntity: 'memoryEdit', mergeEntities: 'memoryEdit', removeEntity: 'memoryEdit', addProposals: 'memoryEdit', listProposals: 'memoryEdit', decideProposals: 'memoryEdit',
  updateLore: 'lore', deleteLore: 'lore', importLore: 'lore', getStoryCard: 'lore',
  replaceTurnImages: 'images', listTurnImages: 'images', getTurnImage: 'images',
  recordCalls: 'ledger', listCalls: 'ledger', aggregateCalls: 'ledger', checkLedgerRollup: 'ledger', rebuildLedgerRollup: 'ledger',
  enqueueJobs: 'jobs', claimJob: 'jobs', completeJob: 'jobs', extendJobLock: 'jobs', failJob: 'jobs', listJobs: 'jobs', jobCounts: 'jobs', markJobsRelayed: 'jobs', mirrorJob: 'jobs',
  saveBurstInstance: 'burst', getBurstInstance: 'burst', listBurstInstances: 'burst',
};

/**
 * A Store made of one object per role over one SQL context: the same code for SQLite and PostgreSQL, with
 * each driver passing its subclasses where it has a fast path. Each Store method is its role's, bound.
 */
export abstract class SqlStore {
  abstract readonly dialect: Dialect;
  abstract close(): Promise<void>;

  constructor(readonly ctx: SqlContext, roles: Roles) {
    const all: Record<RoleName, object> = {
      migrations: roles.migrations, accounts: new SqlAccounts(ctx), stories: roles.stories ?? new SqlStories(ctx), turns: roles.turns ?? new SqlTurns(ctx),
      memory: roles.memory, memoryEdit: new SqlMemoryEdit(ctx), lore: new SqlLore(ctx), images: new SqlImages(ctx), ledger: roles.ledger, jobs: new SqlJobs(ctx), burst: new SqlBurst(ctx),
    };
    for (const [name, role] of Object.entries(METHODS)) {
      const r = all[role] as Record<string, (...args: unknown[]) => unknown>;
      (this as Record<string, unknown>)[name] = r[name]!.bind(r);
    }
  }
}

/** The role objects supply every Store method at construction (see METHODS); this declaration tells TypeScript so. */
export interface SqlStore extends Omit<Store, 'dialect' | 'close' | 'memoryHint'> {}
