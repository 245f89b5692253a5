-- Lore entries that work like SillyTavern World Info (docs/lore.md): secondary keys with AND/NOT logic,
-- case sensitivity and whole-word matching, insertion order and priority, position, probability,
-- recursion flags, an enabled flag and a comment. Existing entries keep their behaviour: the defaults are
-- what a plain keyword entry did before.
ALTER TABLE lore ADD COLUMN secondary_keys TEXT NOT NULL DEFAULT '[]';
ALTER TABLE lore ADD COLUMN selective_logic TEXT NOT NULL DEFAULT 'and-any';
ALTER TABLE lore ADD COLUMN case_sensitive INTEGER NOT NULL DEFAULT 0;
ALTER TABLE lore ADD COLUMN whole_words INTEGER NOT NULL DEFAULT 1;
ALTER TABLE lore ADD COLUMN sort_order INTEGER NOT NULL DEFAULT 100;
ALTER TABLE lore ADD COLUMN priority INTEGER NOT NULL DEFAULT 0;
ALTER TABLE lore ADD COLUMN position TEXT NOT NULL DEFAULT 'before';
ALTER TABLE lore ADD COLUMN probability INTEGER NOT NULL DEFAULT 100;
ALTER TABLE lore ADD COLUMN exclude_recursion INTEGER NOT NULL DEFAULT 0;
ALTER TABLE lore ADD COLUMN prevent_recursion INTEGER NOT NULL DEFAULT 0;
ALTER TABLE lore ADD COLUMN enabled INTEGER NOT NULL DEFAULT 1;
ALTER TABLE lore ADD COLUMN comment TEXT NOT NULL DEFAULT '';

-- A story made from a character card keeps the card (the fields LUNA has no place for: creator, notes,
-- system prompt, extensions…), its tags and its image, so `luna story export --format card` gives them back.
CREATE TABLE story_cards (
  story_id TEXT PRIMARY KEY REFERENCES stories(id) ON DELETE CASCADE,
  spec TEXT NOT NULL,
  card TEXT NOT NULL,
  tags TEXT NOT NULL DEFAULT '[]',
  image BLOB,
  created_at TEXT NOT NULL
);
