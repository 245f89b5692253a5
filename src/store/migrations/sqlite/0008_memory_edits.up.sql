-- Correcting memory (docs/memory.md): every fact row records where it came from (origin), the turn it was
-- learned or written at (source_turn_id), and whether it removes the key (a tombstone). turn_id/depth keep
-- meaning "the turn it applies from". Old rows: facts tied to a turn came from a turn's plan, the others from
-- an import's sheet.
ALTER TABLE facts ADD COLUMN origin TEXT NOT NULL DEFAULT 'plan';
ALTER TABLE facts ADD COLUMN source_turn_id TEXT;
ALTER TABLE facts ADD COLUMN removed INTEGER NOT NULL DEFAULT 0;
UPDATE facts SET origin = CASE WHEN turn_id IS NULL THEN 'import' ELSE 'plan' END, source_turn_id = turn_id;

-- Review mode (agents.dreamer.review): changes the pipeline or the Dreamer would write, waiting for the player.
CREATE TABLE memory_proposals (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  story_id TEXT NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
  turn_id TEXT REFERENCES turns(id) ON DELETE CASCADE,
  origin TEXT NOT NULL,
  change TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'pending',
  created_at TEXT NOT NULL,
  decided_at TEXT
);
CREATE INDEX memory_proposals_story ON memory_proposals(story_id, state, seq);
