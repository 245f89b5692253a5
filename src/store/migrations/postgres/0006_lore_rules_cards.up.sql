-- Lore entries that work like SillyTavern World Info (docs/lore.md): secondary keys with AND/NOT logic,
-- case sensitivity and whole-word matching, insertion order and priority, position, probability,
-- recursion flags, an enabled flag and a comment. Existing entries keep their behaviour: the defaults are
-- what a plain keyword entry did before.
ALTER TABLE lore
  ADD COLUMN secondary_keys jsonb NOT NULL DEFAULT '[]',
  ADD COLUMN selective_logic text NOT NULL DEFAULT 'and-any',
  ADD COLUMN case_sensitive boolean NOT NULL DEFAULT false,
  ADD COLUMN whole_words boolean NOT NULL DEFAULT true,
  ADD COLUMN sort_order integer NOT NULL DEFAULT 100,
  ADD COLUMN priority integer NOT NULL DEFAULT 0,
  ADD COLUMN position text NOT NULL DEFAULT 'before',
  ADD COLUMN probability integer NOT NULL DEFAULT 100,
  ADD COLUMN exclude_recursion boolean NOT NULL DEFAULT false,
  ADD COLUMN prevent_recursion boolean NOT NULL DEFAULT false,
  ADD COLUMN enabled boolean NOT NULL DEFAULT true,
  ADD COLUMN comment text NOT NULL DEFAULT '';

-- A story made from a character card keeps the card (the fields LUNA has no place for: creator, notes,
-- system prompt, extensions…), its tags and its image, so `luna story export --format card` gives them back.
CREATE TABLE story_cards (
  story_id text COLLATE "C" PRIMARY KEY REFERENCES stories(id) ON DELETE CASCADE,
  account_id text COLLATE "C" NOT NULL,
  spec text NOT NULL,
  card jsonb NOT NULL,
  tags jsonb NOT NULL DEFAULT '[]',
  image bytea,
  created_at timestamptz NOT NULL
);
ALTER TABLE story_cards ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON story_cards
  USING (account_id = current_setting('luna.account_id', true)) WITH CHECK (account_id = current_setting('luna.account_id', true));
GRANT SELECT, INSERT, UPDATE, DELETE ON story_cards TO luna_app;
