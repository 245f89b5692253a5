DROP TABLE IF EXISTS memory_proposals;
ALTER TABLE facts
  DROP COLUMN IF EXISTS removed,
  DROP COLUMN IF EXISTS source_turn_id,
  DROP COLUMN IF EXISTS origin;
