-- The PostgreSQL migration of this number keeps per-story document frequencies for its search. FTS5 keeps its
-- own (bm25 reads them from the index), so there is nothing to change here; the file keeps version numbers
-- identical on both dialects.
SELECT 1;
