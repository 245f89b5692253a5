-- The luna_app role is cluster-wide and may serve other databases: it is left in place.
DROP FUNCTION IF EXISTS luna_cost_since(timestamptz, text);
DROP FUNCTION IF EXISTS luna_turns_since(timestamptz, text);
DROP TABLE IF EXISTS burst_instances;
DROP TABLE IF EXISTS jobs;
DROP TABLE IF EXISTS ledger;
DROP TABLE IF EXISTS embeddings;
DROP FUNCTION IF EXISTS luna_cosine(real[], real[]);
DROP TABLE IF EXISTS arc_summaries;
DROP TABLE IF EXISTS lore;
DROP TABLE IF EXISTS facts;
DROP TABLE IF EXISTS entities;
DROP TABLE IF EXISTS turns;
DROP TABLE IF EXISTS stories;
DROP TABLE IF EXISTS accounts;
