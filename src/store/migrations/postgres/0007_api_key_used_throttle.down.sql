CREATE OR REPLACE FUNCTION luna_resolve_api_key(p_hash text) RETURNS TABLE (key_id text, account_id text)
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path FROM CURRENT AS $$
  UPDATE api_keys SET last_used_at = date_trunc('milliseconds', now())
  WHERE hash = p_hash AND revoked_at IS NULL
  RETURNING id, api_keys.account_id
$$;
