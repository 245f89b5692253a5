-- The PostgreSQL migration of this number moves the memory read and the turn search into server-side functions,
-- so their plans are kept for the session. SQLite prepares its statements once per connection already, so there
-- is nothing to change here; the file keeps version numbers identical on both dialects.
SELECT 1;
