-- An API request resolves its key first; writing last_used_at on every request turned each read into a
-- row write (WAL, lock, vacuum). The time is now written at most once a minute per key: "last used" to the
-- minute is what `luna account keys list` shows anyway. SQLite does the same in its dialect.
CREATE OR REPLACE FUNCTION luna_resolve_api_key(p_hash text) RETURNS TABLE (key_id text, account_id text)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path FROM CURRENT AS $$
BEGIN
  UPDATE api_keys k SET last_used_at = date_trunc('milliseconds', now())
  WHERE k.hash = p_hash AND k.revoked_at IS NULL
    AND (k.last_used_at IS NULL OR k.last_used_at < now() - interval '60 seconds');
  RETURN QUERY SELECT k.id, k.account_id FROM api_keys k WHERE k.hash = p_hash AND k.revoked_at IS NULL;
END
$$;
