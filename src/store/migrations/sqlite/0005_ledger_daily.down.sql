DROP INDEX IF EXISTS ledger_turn;
DROP TABLE IF EXISTS ledger_daily;
DROP TABLE IF EXISTS ledger_daily_account;
