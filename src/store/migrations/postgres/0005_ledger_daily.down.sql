DROP FUNCTION IF EXISTS luna_ledger_daily_add(jsonb);
DROP AGGREGATE IF EXISTS luna_counters_sum(bigint[]);
DROP AGGREGATE IF EXISTS luna_hist_sum(jsonb);
DROP FUNCTION IF EXISTS luna_counters_add(bigint[], bigint[]);
DROP FUNCTION IF EXISTS luna_hist_add(jsonb, jsonb);
DROP INDEX IF EXISTS ledger_turn;
DROP TABLE IF EXISTS ledger_daily;
DROP TABLE IF EXISTS ledger_daily_account;
