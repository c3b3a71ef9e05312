-- Data residency, customer data export and customer closure (docs/residency.md, docs/exports-closure.md).

-- 1. Residency: where the customer's Durable Object state and R2 objects are created. Set at
-- onboarding (staff; gov_federal defaults to fedramp) and fixed afterwards: objects already
-- written would otherwise stay behind in the old jurisdiction.
ALTER TABLE customers
  ADD COLUMN data_jurisdiction text NOT NULL DEFAULT 'us' CHECK (data_jurisdiction IN ('us', 'eu', 'fedramp'));
GRANT INSERT (data_jurisdiction) ON customers TO sb_api;

CREATE FUNCTION app.refuse_jurisdiction_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.data_jurisdiction IS DISTINCT FROM OLD.data_jurisdiction THEN
    RAISE EXCEPTION 'a customer''s data jurisdiction is fixed at onboarding' USING ERRCODE = '42501';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER customers_jurisdiction_fixed BEFORE UPDATE ON customers
  FOR EACH ROW EXECUTE FUNCTION app.refuse_jurisdiction_change();
SELECT app.install_function('app.refuse_jurisdiction_change()', current_user, ARRAY[]::name[]);

-- 2. Exports: one row per requested export; the objects live in R2 under
-- exports/<customer>/<export id>/. `done_tables` is the resumable progress (a table's object is
-- written whole, then recorded), `manifest` the result.
CREATE TABLE customer_exports (
  id            uuid PRIMARY KEY DEFAULT app.uuid_v7(),
  customer_id   uuid NOT NULL REFERENCES customers (id),
  requested_by  uuid,
  status        text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'succeeded', 'failed')),
  jurisdiction  text NOT NULL CHECK (jurisdiction IN ('us', 'eu', 'fedramp')),
  done_tables   jsonb NOT NULL DEFAULT '{}',
  manifest      jsonb,
  error         text,
  created_at    timestamptz NOT NULL DEFAULT now(),
  completed_at  timestamptz,
  expires_at    timestamptz
);
CREATE INDEX customer_exports_customer_idx ON customer_exports (customer_id, id);
SELECT app.secure_tenant_table('customer_exports');
GRANT SELECT, INSERT, UPDATE (status, done_tables, manifest, error, completed_at, expires_at) ON customer_exports TO sb_api;

-- 3. Closures: one per customer; `steps` maps each finished step to when it finished, so a
-- re-run skips them (worker/customers/closure.ts).
CREATE TABLE customer_closures (
  id               uuid PRIMARY KEY DEFAULT app.uuid_v7(),
  customer_id      uuid NOT NULL UNIQUE REFERENCES customers (id),
  requested_by     text NOT NULL CHECK (length(requested_by) BETWEEN 1 AND 200),
  steps            jsonb NOT NULL DEFAULT '{}',
  final_invoice_id uuid,
  grace_until      timestamptz NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  completed_at     timestamptz,
  purged_at        timestamptz
);
SELECT app.secure_tenant_table('customer_closures');
GRANT SELECT, INSERT, UPDATE (steps, final_invoice_id, completed_at, purged_at) ON customer_closures TO sb_api;
SELECT app.grant_jobs_access('customer_closures', ARRAY['SELECT']);

-- The final invoice of a closing customer: month to date, through the monthly run's own
-- app.issue_invoices (same numbering, lines, outbox and audit). Staff context of that customer,
-- with its closure recorded; at most one invoice per customer-month, as for the monthly run.
CREATE FUNCTION app.issue_final_invoice(p_customer uuid) RETURNS uuid
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
  v_closure uuid;
  v_period date := date_trunc('month', now() AT TIME ZONE 'UTC')::date;
  v_year integer := extract(year FROM now() AT TIME ZONE 'UTC')::integer;
  v_next bigint;
  v_one record;
  v_invoice uuid;
BEGIN
  IF NOT app.is_super_admin() OR app.current_customer_id() IS DISTINCT FROM p_customer THEN
    RAISE EXCEPTION 'the final invoice needs a staff context of the customer' USING ERRCODE = '42501';
  END IF;
  SELECT id INTO v_closure FROM customer_closures WHERE customer_id = p_customer;
  IF v_closure IS NULL THEN
    RAISE EXCEPTION 'customer % is not being closed', p_customer USING ERRCODE = '55000';
  END IF;
  INSERT INTO invoice_number_sequences (year) VALUES (v_year) ON CONFLICT (year) DO NOTHING;
  SELECT s.last_value + 1 INTO v_next FROM invoice_number_sequences s WHERE s.year = v_year FOR UPDATE;
  SELECT id INTO v_invoice FROM invoices WHERE customer_id = p_customer AND period_start = v_period;
  IF v_invoice IS NOT NULL THEN
    RETURN v_invoice;
  END IF;
  SELECT * INTO v_one FROM app.issue_invoices(v_closure, v_period, ARRAY[p_customer], v_year, v_next);
  UPDATE invoice_number_sequences SET last_value = v_next + v_one.out_issued - 1 WHERE year = v_year;
  SELECT id INTO v_invoice FROM invoices WHERE customer_id = p_customer AND period_start = v_period;
  RETURN v_invoice;
END
$$;
SELECT app.install_function('app.issue_final_invoice(uuid)', 'sb_jobs', ARRAY['sb_api']::name[]);

-- Deletes a closed customer's rows once its grace period has passed, from every table with a
-- customer_id (read from the catalog, so a new table is never forgotten). Audit events stay:
-- they are append-only and kept for the tier's retention (the archive ages them out); the
-- customers row stays because they refer to it. Runs under a staff context of that customer
-- (RLS binds the owner too); tables are retried until foreign keys let every row go.
CREATE FUNCTION app.purge_closed_customer(p_customer uuid) RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
  v_tables text[];
  v_left text[];
  v_table text;
  v_count integer;
  v_total integer := 0;
  v_pass integer := 0;
BEGIN
  IF NOT app.is_super_admin() OR app.current_customer_id() IS DISTINCT FROM p_customer THEN
    RAISE EXCEPTION 'purging needs a staff context of the customer' USING ERRCODE = '42501';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM customer_closures cl JOIN customers c ON c.id = cl.customer_id
                 WHERE cl.customer_id = p_customer AND c.status = 'closed' AND cl.grace_until <= now()) THEN
    RAISE EXCEPTION 'customer % is not closed past its grace period', p_customer USING ERRCODE = '55000';
  END IF;
  SELECT array_agg(c.relname::text ORDER BY c.relname) INTO v_tables
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
    -- The audit trail outlives the grace period (tier retention): its hot rows, the archive's
    -- manifest (docs/audit-retention.md) and a legal hold stay; the archive job ages them out.
    AND c.relname NOT IN ('audit_events', 'audit_archives', 'audit_legal_holds', 'customer_closures')
    AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'customer_id' AND NOT a.attisdropped);
  LOOP
    v_left := '{}';
    FOREACH v_table IN ARRAY v_tables LOOP
      BEGIN
        EXECUTE format('DELETE FROM %I WHERE customer_id = $1', v_table) USING p_customer;
        GET DIAGNOSTICS v_count = ROW_COUNT;
        v_total := v_total + v_count;
      EXCEPTION WHEN foreign_key_violation OR restrict_violation THEN
        v_left := v_left || v_table;
      END;
    END LOOP;
    EXIT WHEN cardinality(v_left) = 0;
    v_pass := v_pass + 1;
    IF v_pass > cardinality(v_tables) THEN
      RAISE EXCEPTION 'cannot delete the rows of % (still referenced: %)', p_customer, v_left USING ERRCODE = '23503';
    END IF;
    v_tables := v_left;
  END LOOP;
  UPDATE customer_closures SET purged_at = now() WHERE customer_id = p_customer;
  RETURN v_total;
END
$$;
SELECT app.install_function('app.purge_closed_customer(uuid)', current_user, ARRAY['sb_api']::name[]);

-- Closed customers past their grace period, for the daily job (jobs role).
CREATE FUNCTION app.closures_due(p_limit integer) RETURNS TABLE (customer_id uuid)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
  SELECT cl.customer_id FROM customer_closures cl
  WHERE cl.purged_at IS NULL AND cl.completed_at IS NOT NULL AND cl.grace_until <= now()
  ORDER BY cl.grace_until LIMIT p_limit
$$;
SELECT app.install_function('app.closures_due(integer)', 'sb_jobs', ARRAY['sb_jobs']::name[]);
