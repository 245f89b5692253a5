-- LUNA core schema (SQLite). Timestamps are ISO-8601 UTC strings, ids short random base32 strings.
CREATE TABLE accounts (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  tier TEXT NOT NULL DEFAULT 'free',
  created_at TEXT NOT NULL
);
INSERT INTO accounts (id, name, tier, created_at)
  VALUES ('local', 'local', 'free', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));

CREATE TABLE stories (
  id TEXT PRIMARY KEY,
  account_id TEXT NOT NULL REFERENCES accounts(id),
  title TEXT NOT NULL,
  premise TEXT NOT NULL,
  style TEXT NOT NULL DEFAULT '',
  -- No FK: a head pointing into turns would make story deletion order-dependent; code validates it.
  head_turn_id TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX stories_account ON stories(account_id, updated_at);

-- seq is an explicit INTEGER PRIMARY KEY so the FTS rowid mapping survives VACUUM.
CREATE TABLE turns (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  story_id TEXT NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
  -- No FK on parent_id: cascading down a 10k-deep chain would exceed SQLite's trigger depth.
  parent_id TEXT,
  depth INTEGER NOT NULL,
  action TEXT NOT NULL,
  prose TEXT NOT NULL,
  plan TEXT,
  created_at TEXT NOT NULL
);
CREATE INDEX turns_story ON turns(story_id, depth);
CREATE INDEX turns_parent ON turns(parent_id);

CREATE VIRTUAL TABLE turns_fts USING fts5(
  action, prose, content='turns', content_rowid='seq', tokenize='porter unicode61 remove_diacritics 2'
);
CREATE TRIGGER turns_fts_ai AFTER INSERT ON turns BEGIN
  INSERT INTO turns_fts(rowid, action, prose) VALUES (new.seq, new.action, new.prose);
END;
CREATE TRIGGER turns_fts_ad AFTER DELETE ON turns BEGIN
  INSERT INTO turns_fts(turns_fts, rowid, action, prose) VALUES ('delete', old.seq, old.action, old.prose);
END;
CREATE TRIGGER turns_fts_au AFTER UPDATE OF action, prose ON turns BEGIN
  INSERT INTO turns_fts(turns_fts, rowid, action, prose) VALUES ('delete', old.seq, old.action, old.prose);
  INSERT INTO turns_fts(rowid, action, prose) VALUES (new.seq, new.action, new.prose);
END;

CREATE TABLE entities (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  story_id TEXT NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  kind TEXT NOT NULL DEFAULT 'other',
  aliases TEXT NOT NULL DEFAULT '[]',
  description TEXT NOT NULL DEFAULT '',
  first_turn_id TEXT REFERENCES turns(id) ON DELETE SET NULL,
  created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX entities_story_name ON entities(story_id, lower(name));

CREATE TABLE facts (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  story_id TEXT NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
  entity_id TEXT NOT NULL REFERENCES entities(id) ON DELETE CASCADE,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  turn_id TEXT REFERENCES turns(id) ON DELETE CASCADE,
  depth INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL
);
CREATE INDEX facts_story ON facts(story_id, depth, seq);
CREATE INDEX facts_entity ON facts(entity_id);
CREATE INDEX facts_turn ON facts(turn_id);

CREATE TABLE lore (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  story_id TEXT NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
  title TEXT NOT NULL,
  keywords TEXT NOT NULL DEFAULT '[]',
  body TEXT NOT NULL,
  constant INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL
);
CREATE INDEX lore_story ON lore(story_id, seq);

CREATE TABLE arc_summaries (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  story_id TEXT NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
  to_turn_id TEXT NOT NULL REFERENCES turns(id) ON DELETE CASCADE,
  from_depth INTEGER NOT NULL,
  to_depth INTEGER NOT NULL,
  kind TEXT NOT NULL,
  summary TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX arc_summaries_story ON arc_summaries(story_id, to_depth);
CREATE INDEX arc_summaries_turn ON arc_summaries(to_turn_id);

-- Plain BLOB table, not vec0: the dimension depends on the embedding model and may change per story.
CREATE TABLE embeddings (
  turn_id TEXT PRIMARY KEY REFERENCES turns(id) ON DELETE CASCADE,
  story_id TEXT NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
  dim INTEGER NOT NULL,
  vector BLOB NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX embeddings_story ON embeddings(story_id, dim);

-- The ledger outlives stories (cost history), so story/turn ids are plain columns, not FKs.
CREATE TABLE ledger (
  seq INTEGER PRIMARY KEY,
  -- Random, not UNIQUE-indexed: nothing looks a call up by id, and the index cost a third of insert time.
  id TEXT NOT NULL,
  account_id TEXT NOT NULL,
  story_id TEXT,
  turn_id TEXT,
  agent TEXT NOT NULL,
  provider TEXT NOT NULL,
  model TEXT NOT NULL,
  input_tokens INTEGER NOT NULL,
  output_tokens INTEGER NOT NULL,
  cached_tokens INTEGER NOT NULL,
  estimated INTEGER NOT NULL,
  latency_ms INTEGER NOT NULL,
  ttft_ms INTEGER,
  outcome TEXT NOT NULL,
  cost_usd REAL,
  price_in_per_mtok REAL,
  price_out_per_mtok REAL,
  instance_id TEXT,
  created_at TEXT NOT NULL
);
-- Few indexes on purpose: every one slows the hot insert path. Reports filter by time, story, account or
-- agent and aggregate in one pass (see sqlite/ledger.ts), so these four are all the reads need.
CREATE INDEX ledger_created ON ledger(created_at);
CREATE INDEX ledger_agent ON ledger(agent, created_at);
CREATE INDEX ledger_story ON ledger(story_id, created_at);
CREATE INDEX ledger_account ON ledger(account_id, created_at);

CREATE TABLE jobs (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL,
  story_id TEXT NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
  turn_id TEXT REFERENCES turns(id) ON DELETE CASCADE,
  payload TEXT NOT NULL DEFAULT '{}',
  state TEXT NOT NULL DEFAULT 'queued',
  attempts INTEGER NOT NULL DEFAULT 0,
  max_attempts INTEGER NOT NULL DEFAULT 3,
  run_after TEXT NOT NULL,
  locked_by TEXT,
  locked_until TEXT,
  last_error TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX jobs_runnable ON jobs(state, run_after);
CREATE INDEX jobs_story ON jobs(story_id, state);
CREATE INDEX jobs_turn ON jobs(turn_id);

CREATE TABLE burst_instances (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  deployment TEXT NOT NULL,
  provider TEXT NOT NULL,
  provider_instance_id TEXT,
  gpu_type TEXT NOT NULL,
  gpu_count INTEGER NOT NULL,
  price_per_hour REAL NOT NULL,
  state TEXT NOT NULL,
  endpoint TEXT,
  api_key TEXT,
  serves TEXT NOT NULL DEFAULT '[]',
  launched_at TEXT NOT NULL,
  ready_at TEXT,
  last_active_at TEXT,
  terminated_at TEXT,
  billed_until TEXT,
  last_error TEXT
);
CREATE INDEX burst_instances_deployment ON burst_instances(deployment, state);
