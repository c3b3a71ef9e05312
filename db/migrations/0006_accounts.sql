-- Managed AWS accounts (seeds 000, 003). The tier's max_accounts is enforced by an atomic
-- reservation (seed 003's reserve_session_units pattern): lock the customer's row, count, insert.

CREATE TABLE managed_accounts (
  id             uuid PRIMARY KEY DEFAULT app.uuid_v7(),
  customer_id    uuid NOT NULL REFERENCES customers (id) ON DELETE RESTRICT,
  name           text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  environment    text NOT NULL CHECK (environment IN ('production', 'staging', 'development', 'sandbox', 'security', 'logging')),
  aws_account_id text CHECK (aws_account_id ~ '^[0-9]{12}$'),
  status         text NOT NULL DEFAULT 'provisioning' CHECK (status IN ('provisioning', 'active', 'suspended', 'closed')),
  created_at     timestamptz NOT NULL DEFAULT now(),
  closed_at      timestamptz,
  CHECK ((status = 'closed') = (closed_at IS NOT NULL)),
  UNIQUE (customer_id, id)
);
CREATE INDEX managed_accounts_customer_idx ON managed_accounts (customer_id, id);
CREATE UNIQUE INDEX managed_accounts_aws_key ON managed_accounts (aws_account_id) WHERE status <> 'closed';

SELECT app.secure_tenant_table('managed_accounts');
GRANT SELECT, INSERT, UPDATE ON managed_accounts TO sb_api;
GRANT SELECT ON managed_accounts TO sb_analytics;
SELECT app.grant_jobs_access('managed_accounts', ARRAY['SELECT']);

-- Reserves one account slot for the current customer and creates the account in 'provisioning'.
-- FOR UPDATE on the customer's row serialises concurrent reservations of the same customer, so
-- the count read here is still true when the row is inserted: no over-allocation, ever.
-- Runs with the caller's rights: RLS limits it to the caller's own customer.
CREATE FUNCTION app.reserve_managed_account(p_name text, p_environment text)
RETURNS managed_accounts
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  v_customer uuid := app.current_customer_id();
  v_limit integer;
  v_used integer;
  v_account managed_accounts;
BEGIN
  IF v_customer IS NULL THEN
    RAISE EXCEPTION 'no tenant context' USING ERRCODE = '28000';
  END IF;
  SELECT tf.max_accounts INTO v_limit
  FROM customers c JOIN tier_features tf ON tf.tier = c.tier
  WHERE c.id = v_customer
  FOR UPDATE OF c;
  IF v_limit IS NULL THEN
    RAISE EXCEPTION 'customer not found' USING ERRCODE = 'P0002';
  END IF;
  SELECT count(*) INTO v_used FROM managed_accounts WHERE customer_id = v_customer AND status <> 'closed';
  IF v_used >= v_limit THEN
    RAISE EXCEPTION 'managed account limit reached (% of %)', v_used, v_limit
      USING ERRCODE = 'SB001', HINT = 'Close an account or move to a tier with more accounts.';
  END IF;
  INSERT INTO managed_accounts (customer_id, name, environment) VALUES (v_customer, p_name, p_environment)
  RETURNING * INTO v_account;
  RETURN v_account;
END
$$;

-- Releases a slot: closing an account frees it for the next reservation.
CREATE FUNCTION app.release_managed_account(p_account uuid) RETURNS boolean
LANGUAGE sql VOLATILE AS $$
  WITH closed AS (
    UPDATE managed_accounts SET status = 'closed', closed_at = now()
    WHERE id = p_account AND status <> 'closed'
    RETURNING 1)
  SELECT EXISTS (SELECT 1 FROM closed)
$$;
GRANT EXECUTE ON FUNCTION app.reserve_managed_account(text, text), app.release_managed_account(uuid) TO sb_api;
