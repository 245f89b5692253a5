-- Steering (docs/play.md): a story's Author's Note, and per turn the one-turn note, the out-of-character
-- instruction to the Strategist, whether the turn continued without an action, and when its prose was edited.
ALTER TABLE stories ADD COLUMN author_note TEXT NOT NULL DEFAULT '';
ALTER TABLE turns ADD COLUMN note TEXT NOT NULL DEFAULT '';
ALTER TABLE turns ADD COLUMN ooc TEXT NOT NULL DEFAULT '';
ALTER TABLE turns ADD COLUMN continued INTEGER NOT NULL DEFAULT 0;
ALTER TABLE turns ADD COLUMN edited_at TEXT;
