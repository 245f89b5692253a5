ALTER TABLE entities DROP COLUMN origin;
