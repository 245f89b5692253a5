-- Where an entity came from (the origin of the write that recorded it: plan, dreamer, player, import), so an
-- edit of a turn's prose can forget the entities the Dreamer read from the old prose and nothing else has
-- touched (docs/play.md). A player's edit or merge makes an entity the player's; a plan that names one the
-- Dreamer found makes it the plan's. Old rows: tied to a turn, the plan's (never forgotten by an edit); the
-- others, an import's sheet.
ALTER TABLE entities ADD COLUMN origin text NOT NULL DEFAULT 'plan';
UPDATE entities SET origin = 'import' WHERE first_turn_id IS NULL;
