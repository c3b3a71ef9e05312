-- Customers (tenants), tier limits, API keys and invoices: the walking skeleton's slice.

CREATE TABLE tier_features (
  tier                 text PRIMARY KEY CHECK (tier IN ('standard', 'fintech', 'healthcare', 'gov_federal')),
  max_accounts         integer NOT NULL CHECK (max_accounts > 0),
  api_rate_limit_per_minute integer NOT NULL CHECK (api_rate_limit_per_minute > 0),
  log_retention_days   integer NOT NULL CHECK (log_retention_days > 0),
  base_price_cents     bigint  NOT NULL CHECK (base_price_cents >= 0)
);

INSERT INTO tier_features (tier, max_accounts, api_rate_limit_per_minute, log_retention_days, base_price_cents) VALUES
  ('standard',     10,   600,  365,  200000),
  ('fintech',      50,  1200, 2555,  800000),
  ('healthcare',   50,  1200, 2555, 1500000),
  ('gov_federal', 200,  3000, 2555, 2500000);

CREATE TABLE customers (
  id           uuid PRIMARY KEY DEFAULT app.uuid_v7(),
  name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  email        text NOT NULL CHECK (position('@' IN email) > 1),
  tier         text NOT NULL REFERENCES tier_features (tier),
  status       text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended', 'closed')),
  tax_rate_bps integer NOT NULL DEFAULT 800 CHECK (tax_rate_bps BETWEEN 0 AND 10000),
  created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE api_keys (
  id           uuid PRIMARY KEY DEFAULT app.uuid_v7(),
  customer_id  uuid NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
  name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  mode         text NOT NULL CHECK (mode IN ('live', 'test')),
  -- First characters of the key, kept to recognise a key in lists and logs; never enough to use it.
  prefix       text NOT NULL,
  -- SHA-256 of the whole key. Keys carry >= 128 random bits, so a fast hash is enough (no bcrypt).
  key_hash     bytea NOT NULL UNIQUE CHECK (length(key_hash) = 32),
  scopes       text[] NOT NULL DEFAULT '{}',
  expires_at   timestamptz,
  revoked_at   timestamptz,
  last_used_at timestamptz,
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX api_keys_customer_idx ON api_keys (customer_id, id);
CREATE INDEX api_keys_expiry_idx ON api_keys (expires_at) WHERE revoked_at IS NULL AND expires_at IS NOT NULL;

CREATE TABLE invoices (
  id             uuid PRIMARY KEY DEFAULT app.uuid_v7(),
  customer_id    uuid NOT NULL REFERENCES customers (id) ON DELETE RESTRICT,
  number         text NOT NULL UNIQUE,
  status         text NOT NULL CHECK (status IN ('draft', 'open', 'paid', 'void')),
  currency       text NOT NULL DEFAULT 'usd' CHECK (currency = 'usd'),
  period_start   date NOT NULL,
  period_end     date NOT NULL,
  subtotal_cents bigint NOT NULL CHECK (subtotal_cents >= 0),
  discount_cents bigint NOT NULL DEFAULT 0 CHECK (discount_cents >= 0),
  tax_cents      bigint NOT NULL DEFAULT 0 CHECK (tax_cents >= 0),
  total_cents    bigint NOT NULL CHECK (total_cents >= 0),
  issued_at      timestamptz,
  due_at         timestamptz,
  paid_at        timestamptz,
  created_at     timestamptz NOT NULL DEFAULT now(),
  CHECK (period_end > period_start),
  CHECK (total_cents = subtotal_cents - discount_cents + tax_cents),
  UNIQUE (customer_id, period_start),
  -- Children reference (customer_id, id): a row can only point at its own tenant's parent, and
  -- a foreign-key check (which ignores RLS) cannot be used to probe another tenant's ids.
  UNIQUE (customer_id, id)
);
CREATE INDEX invoices_customer_idx ON invoices (customer_id, id DESC);

CREATE TABLE invoice_line_items (
  id           uuid PRIMARY KEY DEFAULT app.uuid_v7(),
  customer_id  uuid NOT NULL,
  invoice_id   uuid NOT NULL,
  kind         text NOT NULL CHECK (kind IN ('base', 'usage', 'discount', 'tax')),
  description  text NOT NULL,
  quantity     numeric(20, 6) NOT NULL DEFAULT 1 CHECK (quantity >= 0),
  unit         text,
  unit_amount_micros bigint CHECK (unit_amount_micros >= 0),
  amount_cents bigint NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (customer_id, invoice_id) REFERENCES invoices (customer_id, id) ON DELETE CASCADE
);
CREATE INDEX invoice_line_items_customer_idx ON invoice_line_items (customer_id, invoice_id);

-- Row-level security: a customer sees its own row; everything else is keyed on customer_id.
SELECT app.secure_tenant_table('customers', 'id');
SELECT app.secure_tenant_table('api_keys');
SELECT app.secure_tenant_table('invoices');
SELECT app.secure_tenant_table('invoice_line_items');

-- Grants for the request role: what the endpoints need, nothing more. Invoices are written
-- only by the billing job. The analytics role reads, bound by the same policies.
GRANT SELECT ON tier_features TO sb_api, sb_analytics, sb_jobs;
GRANT SELECT, UPDATE ON customers TO sb_api;
GRANT SELECT, INSERT, UPDATE ON api_keys TO sb_api;
GRANT SELECT ON invoices, invoice_line_items TO sb_api;
GRANT SELECT ON customers, api_keys, invoices, invoice_line_items TO sb_analytics;

-- Billing runs across tenants on the jobs role.
SELECT app.grant_jobs_access('customers', ARRAY['SELECT']);
SELECT app.grant_jobs_access('invoices', ARRAY['SELECT', 'INSERT', 'UPDATE']);
SELECT app.grant_jobs_access('invoice_line_items', ARRAY['SELECT', 'INSERT']);

-- API-key lookup before any tenant context exists. It runs as sb_auth, whose own policy lets it
-- read a key by hash and nothing else; sb_api can call it but cannot read api_keys across tenants.
GRANT SELECT ON api_keys, customers TO sb_auth;
CREATE POLICY api_keys_auth_lookup ON api_keys FOR SELECT TO sb_auth USING (true);
CREATE POLICY customers_auth_lookup ON customers FOR SELECT TO sb_auth USING (true);

CREATE FUNCTION app.resolve_api_key(p_key_hash bytea)
RETURNS TABLE (key_id uuid, customer_id uuid, scopes text[], mode text, expires_at timestamptz, tier text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
  SELECT k.id, k.customer_id, k.scopes, k.mode, k.expires_at, c.tier
  FROM api_keys k JOIN customers c ON c.id = k.customer_id
  WHERE k.key_hash = p_key_hash
    AND k.revoked_at IS NULL
    AND (k.expires_at IS NULL OR k.expires_at > now())
    AND c.status = 'active'
$$;
SELECT app.hand_function_to('app.resolve_api_key(bytea)', 'sb_auth');
REVOKE ALL ON FUNCTION app.resolve_api_key(bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.resolve_api_key(bytea) TO sb_api;
