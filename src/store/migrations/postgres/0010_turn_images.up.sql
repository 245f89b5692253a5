-- Images the Dreamer got back from ComfyUI, linked to the turn they illustrate. The file lives outside the
-- database (agents.dreamer.comfyui.imagesDir, default <home>/images): `path` is where it was written.
CREATE TABLE turn_images (
  id text COLLATE "C" PRIMARY KEY,
  account_id text COLLATE "C" NOT NULL,
  story_id text COLLATE "C" NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
  turn_id text COLLATE "C" NOT NULL REFERENCES turns(id) ON DELETE CASCADE,
  n integer NOT NULL,
  path text NOT NULL,
  mime text NOT NULL,
  width integer,
  height integer,
  bytes bigint NOT NULL,
  prompt text NOT NULL,
  created_at timestamptz NOT NULL,
  UNIQUE (turn_id, n)
);
CREATE INDEX turn_images_story ON turn_images (story_id, created_at);
ALTER TABLE turn_images ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON turn_images
  USING (account_id = current_setting('luna.account_id', true)) WITH CHECK (account_id = current_setting('luna.account_id', true));
GRANT SELECT, INSERT, UPDATE, DELETE ON turn_images TO luna_app;
