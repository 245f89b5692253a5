-- The SQLite migration of this number scopes its FTS index by story. PostgreSQL already combines the
-- turns(story_id) b-tree with the GIN index on tsv (BitmapAnd), so there is nothing to change here;
-- the file keeps version numbers identical on both dialects.
SELECT 1;
