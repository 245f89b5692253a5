-- Images the Dreamer got back from ComfyUI, linked to the turn they illustrate. The file lives outside the
-- database (agents.dreamer.comfyui.imagesDir, default <home>/images): `path` is where it was written.
CREATE TABLE turn_images (
  id TEXT PRIMARY KEY,
  story_id TEXT NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
  turn_id TEXT NOT NULL REFERENCES turns(id) ON DELETE CASCADE,
  n INTEGER NOT NULL,
  path TEXT NOT NULL,
  mime TEXT NOT NULL,
  width INTEGER,
  height INTEGER,
  bytes INTEGER NOT NULL,
  prompt TEXT NOT NULL,
  created_at TEXT NOT NULL,
  UNIQUE (turn_id, n)
);
CREATE INDEX turn_images_story ON turn_images (story_id, created_at);
