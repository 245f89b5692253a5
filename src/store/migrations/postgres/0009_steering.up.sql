-- Steering (docs/play.md): a story's Author's Note, and per turn the one-turn note, the out-of-character
-- instruction to the Strategist, whether the turn continued without an action, and when its prose was edited.
ALTER TABLE stories ADD COLUMN author_note text NOT NULL DEFAULT '';
ALTER TABLE turns
  ADD COLUMN note text NOT NULL DEFAULT '',
  ADD COLUMN ooc text NOT NULL DEFAULT '',
  ADD COLUMN continued boolean NOT NULL DEFAULT false,
  ADD COLUMN edited_at timestamptz;
