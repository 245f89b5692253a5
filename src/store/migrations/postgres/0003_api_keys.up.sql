-- API keys: only the sha256 of the key is stored; `prefix` is the visible start used to tell keys apart.
CREATE TABLE api_keys (
  id text COLLATE "C" PRIMARY KEY,
  account_id text COLLATE "C" NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  label text NOT NULL DEFAULT '',
  prefix text NOT NULL,
  hash text COLLATE "C" NOT NULL UNIQUE,
  created_at timestamptz NOT NULL,
  last_used_at timestamptz,
  revoked_at timestamptz
);
CREATE INDEX api_keys_account ON api_keys(account_id, created_at);
ALTER TABLE api_keys ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON api_keys
  USING (account_id = current_setting('luna.account_id', true)) WITH CHECK (account_id = current_setting('luna.account_id', true));
GRANT SELECT, INSERT, UPDATE ON api_keys TO luna_app;

-- Resolving a key happens before any account is known, so it runs as the owner; it returns the key's
-- account only for a live key, and records when the key was last used.
CREATE FUNCTION luna_resolve_api_key(p_hash text) RETURNS TABLE (key_id text, account_id text)
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path FROM CURRENT AS $$
  UPDATE api_keys SET last_used_at = date_trunc('milliseconds', now())
  WHERE hash = p_hash AND revoked_at IS NULL
  RETURNING id, api_keys.account_id
$$;
GRANT EXECUTE ON FUNCTION luna_resolve_api_key(text) TO luna_app;
