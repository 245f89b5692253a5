-- The PostgreSQL migration of this number changes how its server-side turn search reads and weighs phrases.
-- SQLite's FTS5 search ranks with its own BM25, so there is nothing to change here; the file keeps version
-- numbers identical on both dialects.
SELECT 1;
