-- Daily roll-ups of the ledger (src/store/daily/cells.ts), kept current inside every ledger write so cost
-- reports and budget checks read day cells instead of every call. Filled from existing calls right after
-- this file runs, in the same transaction (src/store/postgres/ledger-daily.ts).
CREATE TABLE ledger_daily_account (
  day text COLLATE "C" NOT NULL,
  account_id text COLLATE "C" NOT NULL,
  agent text COLLATE "C" NOT NULL,
  provider text COLLATE "C" NOT NULL,
  model text COLLATE "C" NOT NULL,
  calls bigint NOT NULL,
  input_tokens bigint NOT NULL,
  output_tokens bigint NOT NULL,
  cached_tokens bigint NOT NULL,
  cost_usd double precision NOT NULL,
  unpriced bigint NOT NULL,
  estimated bigint NOT NULL,
  failed bigint NOT NULL,
  fallback bigint NOT NULL,
  -- {"latency bucket": count}; see src/store/percentile.ts.
  latency jsonb NOT NULL,
  -- 48 first-seen turn counters: 3 time grains x 16 subsets of the dimensions.
  turns bigint[] NOT NULL,
  PRIMARY KEY (day, account_id, agent, provider, model)
);
CREATE INDEX ledger_daily_account_by_account ON ledger_daily_account(account_id, day);

-- The same cells with accounts merged, for reports across all accounts. Platform-wide figures: the tenant
-- role gets no access to it.
CREATE TABLE ledger_daily (
  day text COLLATE "C" NOT NULL,
  agent text COLLATE "C" NOT NULL,
  provider text COLLATE "C" NOT NULL,
  model text COLLATE "C" NOT NULL,
  calls bigint NOT NULL,
  input_tokens bigint NOT NULL,
  output_tokens bigint NOT NULL,
  cached_tokens bigint NOT NULL,
  cost_usd double precision NOT NULL,
  unpriced bigint NOT NULL,
  estimated bigint NOT NULL,
  failed bigint NOT NULL,
  fallback bigint NOT NULL,
  latency jsonb NOT NULL,
  turns bigint[] NOT NULL,
  PRIMARY KEY (day, agent, provider, model)
);

-- A call's turn's earlier calls decide which turn counters it is the first for.
CREATE INDEX ledger_turn ON ledger(turn_id, seq);

ALTER TABLE ledger_daily_account ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON ledger_daily_account
  USING (account_id = current_setting('luna.account_id', true)) WITH CHECK (account_id = current_setting('luna.account_id', true));
GRANT SELECT ON ledger_daily_account TO luna_app;

CREATE FUNCTION luna_hist_add(a jsonb, b jsonb) RETURNS jsonb LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT coalesce(jsonb_object_agg(k, n), '{}'::jsonb)
  FROM (SELECT k, sum(v::bigint) AS n FROM (SELECT * FROM jsonb_each_text(a) UNION ALL SELECT * FROM jsonb_each_text(b)) e(k, v) GROUP BY k) s
$$;
CREATE FUNCTION luna_counters_add(a bigint[], b bigint[]) RETURNS bigint[] LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT array_agg(coalesce(x, 0) + coalesce(y, 0) ORDER BY i) FROM unnest(a, b) WITH ORDINALITY AS u(x, y, i)
$$;
CREATE AGGREGATE luna_hist_sum(jsonb) (SFUNC = luna_hist_add, STYPE = jsonb, INITCOND = '{}');
CREATE AGGREGATE luna_counters_sum(bigint[]) (SFUNC = luna_counters_add, STYPE = bigint[], INITCOND = '{}');

-- Adds one write's per-account cells (a jsonb array built by luna) to both roll-ups. SECURITY DEFINER so
-- the tenant role can update the across-accounts table it may not read; it may only add cells of its own
-- account. Rows are upserted in key order, per-account table first, so concurrent writers lock cells in one
-- order and cannot deadlock.
CREATE FUNCTION luna_ledger_daily_add(cells jsonb) RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  me text := nullif(current_setting('luna.account_id', true), '');
BEGIN
  IF me IS NOT NULL AND EXISTS (SELECT 1 FROM jsonb_array_elements(cells) c WHERE c->>'account' IS DISTINCT FROM me) THEN
    RAISE EXCEPTION 'ledger roll-up: cells of another account' USING ERRCODE = '42501';
  END IF;
  INSERT INTO ledger_daily_account AS t
    SELECT c->>'day', c->>'account', c->>'agent', c->>'provider', c->>'model', (c->>'calls')::bigint, (c->>'input')::bigint,
      (c->>'output')::bigint, (c->>'cached')::bigint, (c->>'cost')::double precision, (c->>'unpriced')::bigint, (c->>'estimated')::bigint,
      (c->>'failed')::bigint, (c->>'fallback')::bigint, c->'latency', ARRAY(SELECT jsonb_array_elements_text(c->'turns')::bigint)
    FROM jsonb_array_elements(cells) c ORDER BY c->>'day', c->>'account', c->>'agent', c->>'provider', c->>'model'
  ON CONFLICT (day, account_id, agent, provider, model) DO UPDATE SET
    calls = t.calls + EXCLUDED.calls, input_tokens = t.input_tokens + EXCLUDED.input_tokens, output_tokens = t.output_tokens + EXCLUDED.output_tokens,
    cached_tokens = t.cached_tokens + EXCLUDED.cached_tokens, cost_usd = t.cost_usd + EXCLUDED.cost_usd, unpriced = t.unpriced + EXCLUDED.unpriced,
    estimated = t.estimated + EXCLUDED.estimated, failed = t.failed + EXCLUDED.failed, fallback = t.fallback + EXCLUDED.fallback,
    latency = luna_hist_add(t.latency, EXCLUDED.latency), turns = luna_counters_add(t.turns, EXCLUDED.turns);
  INSERT INTO ledger_daily AS t
    SELECT c->>'day', c->>'agent', c->>'provider', c->>'model', sum((c->>'calls')::bigint), sum((c->>'input')::bigint), sum((c->>'output')::bigint),
      sum((c->>'cached')::bigint), sum((c->>'cost')::double precision), sum((c->>'unpriced')::bigint), sum((c->>'estimated')::bigint),
      sum((c->>'failed')::bigint), sum((c->>'fallback')::bigint), luna_hist_sum(c->'latency'),
      luna_counters_sum(ARRAY(SELECT jsonb_array_elements_text(c->'turns')::bigint))
    FROM jsonb_array_elements(cells) c GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
  ON CONFLICT (day, agent, provider, model) DO UPDATE SET
    calls = t.calls + EXCLUDED.calls, input_tokens = t.input_tokens + EXCLUDED.input_tokens, output_tokens = t.output_tokens + EXCLUDED.output_tokens,
    cached_tokens = t.cached_tokens + EXCLUDED.cached_tokens, cost_usd = t.cost_usd + EXCLUDED.cost_usd, unpriced = t.unpriced + EXCLUDED.unpriced,
    estimated = t.estimated + EXCLUDED.estimated, failed = t.failed + EXCLUDED.failed, fallback = t.fallback + EXCLUDED.fallback,
    latency = luna_hist_add(t.latency, EXCLUDED.latency), turns = luna_counters_add(t.turns, EXCLUDED.turns);
END
$$;
REVOKE ALL ON FUNCTION luna_ledger_daily_add(jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION luna_ledger_daily_add(jsonb) TO luna_app;
