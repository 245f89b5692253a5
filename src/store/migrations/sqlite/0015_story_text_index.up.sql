-- The PostgreSQL migration of this number indexes turn text by story and word together. SQLite's FTS5 search
-- already reads a story's rowid range (docs/store.md), so there is nothing to change here; the file keeps
-- version numbers identical on both dialects.
SELECT 1;
