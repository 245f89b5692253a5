DROP TABLE IF EXISTS story_cards;
ALTER TABLE lore
  DROP COLUMN IF EXISTS comment,
  DROP COLUMN IF EXISTS enabled,
  DROP COLUMN IF EXISTS prevent_recursion,
  DROP COLUMN IF EXISTS exclude_recursion,
  DROP COLUMN IF EXISTS probability,
  DROP COLUMN IF EXISTS position,
  DROP COLUMN IF EXISTS priority,
  DROP COLUMN IF EXISTS sort_order,
  DROP COLUMN IF EXISTS whole_words,
  DROP COLUMN IF EXISTS case_sensitive,
  DROP COLUMN IF EXISTS selective_logic,
  DROP COLUMN IF EXISTS secondary_keys;
