DROP FUNCTION IF EXISTS luna_resolve_api_key(text);
DROP TABLE IF EXISTS api_keys;
