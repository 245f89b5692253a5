-- Daily roll-ups of the ledger, kept current inside every ledger write (src/store/sqlite/ledger-daily.ts):
-- cost reports and budget checks read their cells instead of scanning every call. Filled from existing
-- calls right after this file runs, in the same transaction.
CREATE TABLE ledger_daily_account (
  day TEXT NOT NULL,
  account_id TEXT NOT NULL,
  agent TEXT NOT NULL,
  provider TEXT NOT NULL,
  model TEXT NOT NULL,
  calls INTEGER NOT NULL,
  input_tokens INTEGER NOT NULL,
  output_tokens INTEGER NOT NULL,
  cached_tokens INTEGER NOT NULL,
  cost_usd REAL NOT NULL,
  unpriced INTEGER NOT NULL,
  estimated INTEGER NOT NULL,
  failed INTEGER NOT NULL,
  fallback INTEGER NOT NULL,
  -- Little-endian uint32 (latency bucket, count) pairs; see src/store/percentile.ts.
  latency BLOB NOT NULL,
  -- 48 little-endian uint32 first-seen turn counters: 3 time grains x 16 subsets of the dimensions.
  turns BLOB NOT NULL,
  PRIMARY KEY (day, account_id, agent, provider, model)
) WITHOUT ROWID;
-- Budgets and per-account reports read one account's cells.
CREATE INDEX ledger_daily_account_by_account ON ledger_daily_account(account_id, day);

-- The same cells with accounts merged, for reports across all accounts.
CREATE TABLE ledger_daily (
  day TEXT NOT NULL,
  agent TEXT NOT NULL,
  provider TEXT NOT NULL,
  model TEXT NOT NULL,
  calls INTEGER NOT NULL,
  input_tokens INTEGER NOT NULL,
  output_tokens INTEGER NOT NULL,
  cached_tokens INTEGER NOT NULL,
  cost_usd REAL NOT NULL,
  unpriced INTEGER NOT NULL,
  estimated INTEGER NOT NULL,
  failed INTEGER NOT NULL,
  fallback INTEGER NOT NULL,
  latency BLOB NOT NULL,
  turns BLOB NOT NULL,
  PRIMARY KEY (day, agent, provider, model)
) WITHOUT ROWID;

-- A call's turn's earlier calls decide which turn counters it is the first for.
CREATE INDEX ledger_turn ON ledger(turn_id);
