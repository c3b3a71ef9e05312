-- Insights (issue 12): cached cost forecasts with what is needed to draw any interval, budget
-- alerts recorded once per threshold per month, and the grants the daily job and the read-only
-- analytics role need.

-- A cached forecast row is one customer-month. forecast/lower/upper stay the 80 % interval of
-- the invoice total (as 0009 defined them); `model` keeps, per component and for the usage
-- subtotal, the point forecast, the forecast error's standard deviation and its degrees of
-- freedom, so a request at any level (51–99 %) is answered from the cache without refitting.
-- `history_through` is the last closed month the fit used: a row fitted before the month closed
-- is stale.
ALTER TABLE cost_forecasts
  ADD COLUMN history_through date CHECK (extract(day FROM history_through) = 1),
  ADD COLUMN model jsonb NOT NULL DEFAULT '{}';
CREATE INDEX cost_forecasts_expiry_idx ON cost_forecasts (expires_at);

-- A cached row is used only if it was generated after the customer's newest invoice, so issuing
-- an invoice makes the cache stale at once whoever issued it (no trigger: the billing run writes
-- through functions whose owner RLS binds to no tenant); requests then compute live and the
-- daily job caches again.

-- One row per budget threshold crossed per month: the unique key is what makes the alert
-- exactly-once (the job inserts ON CONFLICT DO NOTHING and emits only for a row it inserted).
CREATE TABLE cost_budget_alerts (
  id                uuid PRIMARY KEY DEFAULT app.uuid_v7(),
  customer_id       uuid NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
  month             date NOT NULL CHECK (extract(day FROM month) = 1),
  threshold_percent integer NOT NULL CHECK (threshold_percent BETWEEN 1 AND 500),
  basis             text NOT NULL CHECK (basis IN ('actual', 'forecast')),
  amount_cents      bigint NOT NULL CHECK (amount_cents >= 0),
  budget_cents      bigint NOT NULL CHECK (budget_cents > 0),
  event_id          uuid NOT NULL,
  created_at        timestamptz NOT NULL DEFAULT now(),
  UNIQUE (customer_id, month, threshold_percent)
);
SELECT app.secure_tenant_table('cost_budget_alerts');
GRANT SELECT ON cost_budget_alerts TO sb_api, sb_analytics;
SELECT app.grant_jobs_access('cost_budget_alerts', ARRAY['SELECT', 'INSERT', 'DELETE']);
