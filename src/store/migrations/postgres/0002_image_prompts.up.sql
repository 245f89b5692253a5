-- Dreamer output: one image-generation prompt per turn, replaced when the job re-runs.
CREATE TABLE image_prompts (
  turn_id text COLLATE "C" PRIMARY KEY REFERENCES turns(id) ON DELETE CASCADE,
  account_id text COLLATE "C" NOT NULL,
  prompt text NOT NULL,
  created_at timestamptz NOT NULL
);
ALTER TABLE image_prompts ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON image_prompts
  USING (account_id = current_setting('luna.account_id', true)) WITH CHECK (account_id = current_setting('luna.account_id', true));
GRANT SELECT, INSERT, UPDATE, DELETE ON image_prompts TO luna_app;
