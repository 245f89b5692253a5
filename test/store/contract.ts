import { afterEach, beforeEach, describe } from 'vitest';
import type { Store } from '../../src/store/types.js';
import { imageContract } from './contract-images.js';
import { jobAndBurstContract } from './contract-jobs.js';
import { ledgerContract } from './contract-ledger.js';
import { memoryContract } from './contract-memory.js';
import { memoryEditContract } from './contract-memory-edit.js';
import { schemaContract } from './contract-schema.js';
import { steeringContract } from './contract-steering.js';
import { turnContract } from './contract-turns.js';

export interface ContractContext {
  /** The store under test: new, empty and fully migrated for every test. */
  store: () => Store;
}

/**
 * The behavioural suite every Store implementation must pass (SQLite here; PostgreSQL runs the same).
 * `makeStore` must return a fresh, empty, fully-migrated store each call; the suite closes it.
 */
export function runStoreContract(name: string, makeStore: () => Promise<Store>): void {
  describe(`Store contract: ${name}`, () => {
    let current: Store | undefined;
    beforeEach(async () => {
      current = await makeStore();
    });
    afterEach(async () => {
      await current?.close();
      current = undefined;
    });
    const ctx: ContractContext = {
      store: () => {
        if (!current) throw new Error('store not open');
        return current;
      },
    };
    turnContract(ctx);
    memoryContract(ctx);
    memoryEditContract(ctx);
    ledgerContract(ctx);
    jobAndBurstContract(ctx);
    schemaContract(ctx);
    steeringContract(ctx);
    imageContract(ctx);
  });
}
