ALTER TABLE turns DROP COLUMN edited_at, DROP COLUMN continued, DROP COLUMN ooc, DROP COLUMN note;
ALTER TABLE stories DROP COLUMN author_note;
