-- PostgreSQL's key lookup now writes last_used_at at most once a minute; SQLite has done so in its
-- dialect (src/store/sqlite/dialect.ts) since the API landed, so its schema does not change.
SELECT 1;
