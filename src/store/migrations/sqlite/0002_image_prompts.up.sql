-- Dreamer output: one image-generation prompt per turn, replaced when the job re-runs.
CREATE TABLE image_prompts (
  turn_id TEXT PRIMARY KEY REFERENCES turns(id) ON DELETE CASCADE,
  prompt TEXT NOT NULL,
  created_at TEXT NOT NULL
);
