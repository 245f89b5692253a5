-- The PostgreSQL migration of this number adds server-side functions for reading passage turns (plans kept for the
-- session). SQLite prepares its statements once per connection already, so there is nothing to change here; the
-- file keeps version numbers identical on both dialects.
SELECT 1;
