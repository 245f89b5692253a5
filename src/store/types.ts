/**
 * The storage contract, split by what it describes: records (stories, turns, memory), the ledger,
 * operational records (jobs, burst instances, migrations), and the role interfaces a Store is made of.
 * Callers import from here; see contract/roles.ts for the roles.
 */
export * from './contract/records.js';
export * from './contract/ledger.js';
export * from './contract/ops.js';
export * from './contract/roles.js';
