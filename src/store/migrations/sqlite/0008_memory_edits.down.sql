DROP TABLE IF EXISTS memory_proposals;
ALTER TABLE facts DROP COLUMN removed;
ALTER TABLE facts DROP COLUMN source_turn_id;
ALTER TABLE facts DROP COLUMN origin;
