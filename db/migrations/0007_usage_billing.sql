-- Usage metering and billing (SPEC §5, seed 001 §4.3). Prices live in tables, not in code.

-- Usage prices. A new price is a new row with a later effective_from; invoices use the row in
-- force on their period's first day.
CREATE TABLE rate_card (
  item              text NOT NULL CHECK (item ~ '^[a-z_]+$'),
  description       text NOT NULL,
  unit              text NOT NULL,
  unit_price_micros bigint NOT NULL CHECK (unit_price_micros >= 0),
  effective_from    date NOT NULL DEFAULT '2020-01-01',
  PRIMARY KEY (item, effective_from)
);
INSERT INTO rate_card (item, description, unit, unit_price_micros) VALUES
  ('log_storage_gb_month', 'Log storage', 'GB-month', 100000),
  ('nat_processing_gb', 'NAT data processing', 'GB', 45000);

-- Volume discount on the pre-tax subtotal: the highest band reached applies to the whole subtotal.
CREATE TABLE volume_discount_bands (
  from_subtotal_cents bigint NOT NULL CHECK (from_subtotal_cents >= 0),
  discount_bps        integer NOT NULL CHECK (discount_bps BETWEEN 0 AND 10000),
  effective_from      date NOT NULL DEFAULT '2020-01-01',
  PRIMARY KEY (from_subtotal_cents, effective_from)
);
INSERT INTO volume_discount_bands (from_subtotal_cents, discount_bps) VALUES
  (0, 0), (500000, 500), (2000000, 1000), (5000000, 1500);

GRANT SELECT ON rate_card, volume_discount_bands TO sb_api, sb_analytics, sb_jobs;

-- Raw usage, idempotent by the client's event id per customer.
CREATE TABLE usage_events (
  id          uuid PRIMARY KEY DEFAULT app.uuid_v7(),
  customer_id uuid NOT NULL REFERENCES customers (id) ON DELETE RESTRICT,
  event_id    text NOT NULL CHECK (length(event_id) BETWEEN 1 AND 200),
  metric      text NOT NULL CHECK (metric ~ '^[a-z_]+$'),
  quantity    numeric(20, 6) NOT NULL CHECK (quantity >= 0),
  account_id  uuid,
  occurred_at timestamptz NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (customer_id, event_id),
  FOREIGN KEY (customer_id, account_id) REFERENCES managed_accounts (customer_id, id) ON DELETE SET NULL (account_id)
);
CREATE INDEX usage_events_rollup_idx ON usage_events (customer_id, metric, occurred_at);

CREATE TABLE usage_daily (
  customer_id uuid NOT NULL REFERENCES customers (id) ON DELETE RESTRICT,
  metric      text NOT NULL,
  day         date NOT NULL,
  quantity    numeric(20, 6) NOT NULL CHECK (quantity >= 0),
  events      integer NOT NULL CHECK (events >= 0),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (customer_id, metric, day)
);

CREATE TABLE usage_monthly (
  customer_id uuid NOT NULL REFERENCES customers (id) ON DELETE RESTRICT,
  metric      text NOT NULL,
  month       date NOT NULL CHECK (extract(day FROM month) = 1),
  quantity    numeric(20, 6) NOT NULL CHECK (quantity >= 0),
  events      integer NOT NULL CHECK (events >= 0),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (customer_id, metric, month)
);

SELECT app.secure_tenant_table('usage_events');
SELECT app.secure_tenant_table('usage_daily');
SELECT app.secure_tenant_table('usage_monthly');
GRANT SELECT, INSERT ON usage_events TO sb_api;
GRANT SELECT, INSERT, UPDATE ON usage_daily, usage_monthly TO sb_api;
GRANT SELECT ON usage_events, usage_daily, usage_monthly TO sb_analytics;
SELECT app.grant_jobs_access('usage_events', ARRAY['SELECT', 'DELETE']);
SELECT app.grant_jobs_access('usage_daily', ARRAY['SELECT', 'INSERT', 'UPDATE']);
SELECT app.grant_jobs_access('usage_monthly', ARRAY['SELECT', 'INSERT', 'UPDATE']);

-- Sequential, gap-free human invoice numbers per year (SB-2026-000123). Taken by the billing
-- job inside the transaction that creates the invoice, so a rollback does not burn a number.
CREATE TABLE invoice_number_sequences (
  year       integer PRIMARY KEY CHECK (year BETWEEN 2000 AND 2999),
  last_value bigint NOT NULL DEFAULT 0 CHECK (last_value >= 0)
);
GRANT SELECT, INSERT, UPDATE ON invoice_number_sequences TO sb_jobs;

-- One row per billing run (monthly cron or manual); a run is resumable: it bills the customers
-- that have no invoice for the period yet, and invoices are unique per customer and period.
CREATE TABLE billing_runs (
  id               uuid PRIMARY KEY DEFAULT app.uuid_v7(),
  period_start     date NOT NULL CHECK (extract(day FROM period_start) = 1),
  status           text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
  dry_run          boolean NOT NULL DEFAULT false,
  customers_billed integer NOT NULL DEFAULT 0 CHECK (customers_billed >= 0),
  total_cents      bigint NOT NULL DEFAULT 0 CHECK (total_cents >= 0),
  error            text,
  started_at       timestamptz NOT NULL DEFAULT now(),
  finished_at      timestamptz
);
CREATE INDEX billing_runs_period_idx ON billing_runs (period_start, started_at DESC);
GRANT SELECT, INSERT, UPDATE ON billing_runs TO sb_jobs;
