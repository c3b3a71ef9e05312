-- Defense in depth: what the database refuses even when the application does not (docs/security.md).
--
-- 1. Column privileges: the request role may write only the columns the API writes, and a
--    trigger refuses changes to a user's platform role and a customer's commercial fields
--    (tier, tax rate, status) outside a SecureBase staff context.
-- 2. SECURITY DEFINER functions search pg_temp last, and no application role may create
--    temporary objects: a temporary view or table can no longer shadow a table a definer reads.
-- 3. EXECUTE on every function of ours goes to exactly the roles that call it, never PUBLIC.
--    0001's hand_function_to changed the owner first, so the REVOKE … FROM PUBLIC and GRANTs
--    that followed it were issued by a non-owner and did nothing but warn.
-- 4. A tenant context must carry an expiry.

-- Functions created from here on are not executable by PUBLIC unless granted.
ALTER DEFAULT PRIVILEGES IN SCHEMA app, app_private REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;

-- Takes a function handed to a never-login role back to the migrating role, so it can be
-- replaced and its ACL rewritten (a membership for the moment of the change, as in 0001).
CREATE FUNCTION app.reclaim_function(p_function regprocedure) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_owner name := (SELECT pg_get_userbyid(proowner) FROM pg_proc WHERE oid = p_function);
BEGIN
  IF v_owner <> current_user THEN
    EXECUTE format('GRANT %I TO %I', v_owner, current_user);
    EXECUTE format('ALTER FUNCTION %s OWNER TO %I', p_function, current_user);
    EXECUTE format('REVOKE %I FROM %I', v_owner, current_user);
  END IF;
END
$$;
REVOKE ALL ON FUNCTION app.reclaim_function(regprocedure) FROM PUBLIC;

-- Sets a function's ACL to EXECUTE for exactly p_grantees (PUBLIC never) while the migrating
-- role still owns it, pins a definer's search_path with pg_temp last, then hands it to p_owner.
-- ALTER … OWNER carries the ACL over to the new owner.
CREATE FUNCTION app.install_function(p_function regprocedure, p_owner name, p_grantees name[]) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_grantee name;
BEGIN
  PERFORM app.reclaim_function(p_function);
  IF (SELECT prosecdef FROM pg_proc WHERE oid = p_function) THEN
    EXECUTE format('ALTER FUNCTION %s SET search_path = pg_catalog, public, pg_temp', p_function);
  END IF;
  EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', p_function);
  FOR v_grantee IN
    SELECT DISTINCT pg_get_userbyid(a.grantee) FROM pg_proc p CROSS JOIN aclexplode(p.proacl) a
    WHERE p.oid = p_function AND a.grantee NOT IN (0, p.proowner)
  LOOP
    EXECUTE format('REVOKE ALL ON FUNCTION %s FROM %I', p_function, v_grantee);
  END LOOP;
  FOREACH v_grantee IN ARRAY p_grantees LOOP
    EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO %I', p_function, v_grantee);
  END LOOP;
  IF p_owner <> current_user THEN
    PERFORM app.hand_function_to(p_function, p_owner);
    -- The migrating role's own EXECUTE went with the ownership; when it needs to call the
    -- function (app.context(), through the policies its fixtures meet), grant it as the new owner.
    IF current_user = ANY (p_grantees) THEN
      EXECUTE format('GRANT %I TO %I', p_owner, current_user);
      EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO %I', p_function, current_user);
      EXECUTE format('REVOKE %I FROM %I', p_owner, current_user);
    END IF;
  END IF;
END
$$;
REVOKE ALL ON FUNCTION app.install_function(regprocedure, name, name[]) FROM PUBLIC;

-- 4. The context must carry a numeric expiry: a missing or null exp used to compare as NULL,
-- which passed the check, so such a context was accepted forever.
SELECT app.reclaim_function('app.context()');
CREATE OR REPLACE FUNCTION app.context() RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  raw text := current_setting('app.context', true);
  sig text := current_setting('app.context_sig', true);
  ctx jsonb;
  key bytea;
BEGIN
  IF raw IS NULL OR raw = '' THEN
    RETURN NULL;
  END IF;
  BEGIN
    ctx := raw::jsonb;
  EXCEPTION WHEN others THEN
    RAISE EXCEPTION 'tenant context is malformed' USING ERRCODE = '28000';
  END;
  IF jsonb_typeof(ctx) IS DISTINCT FROM 'object' THEN
    RAISE EXCEPTION 'tenant context is malformed' USING ERRCODE = '28000';
  END IF;
  SELECT k.secret INTO key FROM app_private.context_keys k WHERE k.kid = ctx->>'kid' AND k.retired_at IS NULL;
  IF key IS NULL OR sig IS NULL OR sig !~ '^[0-9a-f]{64}$'
     OR hmac(convert_to(raw, 'UTF8'), key, 'sha256') <> decode(sig, 'hex') THEN
    RAISE EXCEPTION 'tenant context signature is invalid' USING ERRCODE = '28000';
  END IF;
  IF jsonb_typeof(ctx->'exp') IS DISTINCT FROM 'number' THEN
    RAISE EXCEPTION 'tenant context has no expiry' USING ERRCODE = '28000';
  END IF;
  IF (ctx->>'exp')::numeric < extract(epoch FROM now()) THEN
    RAISE EXCEPTION 'tenant context has expired' USING ERRCODE = '28000';
  END IF;
  RETURN ctx;
END
$$;

-- 2. The billing batch kept its lines in a temporary table created inside a SECURITY DEFINER
-- call chain (billing_run_batch runs as sb_jobs). A table of that name created beforehand, with
-- a trigger, would have run its owner's code as sb_jobs. One statement with CTEs instead: the
-- line items' foreign keys are checked at its end, after the invoices are in.
CREATE OR REPLACE FUNCTION app.issue_invoices(p_run uuid, p_period date, p_customers uuid[], p_year integer,
                                              p_first_number bigint, OUT out_issued integer, OUT out_cents bigint)
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
  WITH ids AS (SELECT c AS customer_id, app.uuid_v7() AS invoice_id FROM unnest(p_customers) AS c),
  -- Every line, with the id its invoice will have (assigned here, so no pass joins them later).
  lines AS MATERIALIZED (
    SELECT app.uuid_v7() AS id, l.customer_id, ids.invoice_id, l.kind, l.description, l.quantity, l.unit,
           l.unit_amount_micros, l.amount_cents, l.metric, l.usage_month, l.position
    FROM app.billing_lines(p_period, p_customers) l JOIN ids ON ids.customer_id = l.customer_id
  ),
  heads AS (
    SELECT l.customer_id, l.invoice_id,
           coalesce(sum(l.amount_cents) FILTER (WHERE l.kind IN ('base', 'usage')), 0) AS subtotal,
           coalesce(-sum(l.amount_cents) FILTER (WHERE l.kind = 'discount'), 0) AS discount,
           coalesce(sum(l.amount_cents) FILTER (WHERE l.kind = 'tax'), 0) AS tax,
           row_number() OVER (ORDER BY l.customer_id) AS n
    FROM lines l GROUP BY l.customer_id, l.invoice_id
  ),
  numbered AS (
    SELECT h.*, 'SB-' || p_year || '-' || lpad((p_first_number + h.n - 1)::text, greatest(6, length((p_first_number + h.n - 1)::text)), '0') AS number
    FROM heads h
  ),
  invoiced AS (
    INSERT INTO invoices (id, customer_id, number, status, period_start, period_end, subtotal_cents, discount_cents,
                          tax_cents, total_cents, issued_at, due_at)
    SELECT invoice_id, customer_id, number, 'open', p_period, (p_period + interval '1 month')::date, subtotal, discount,
           tax, subtotal - discount + tax, now(), now() + interval '30 days'
    FROM numbered ORDER BY n
    RETURNING id, customer_id, number, period_start, period_end, total_cents, currency
  ),
  outbox AS (
    INSERT INTO outbox_events (customer_id, type, payload)
    SELECT customer_id, 'invoice.created',
           jsonb_build_object('id', id, 'number', number, 'period_start', period_start, 'period_end', period_end,
                              'total_cents', total_cents, 'currency', currency)
    FROM invoiced
  ),
  audited AS (
    INSERT INTO audit_events (customer_id, seq, actor_type, actor_id, action, resource_type, resource_id, summary, data, prev_hash, hash)
    SELECT customer_id, 0, 'system', 'billing-run:' || p_run, 'invoice.issued', 'invoice', id::text,
           'Invoice ' || number || ' issued for ' || to_char(period_start, 'FMMonth YYYY') || ' by the monthly billing run',
           jsonb_build_object('number', number, 'period_start', period_start, 'total_cents', total_cents, 'billing_run_id', p_run),
           '\x'::bytea, '\x'::bytea
    FROM invoiced
  ),
  items AS (
    INSERT INTO invoice_line_items (id, customer_id, invoice_id, kind, description, quantity, unit, unit_amount_micros,
                                    amount_cents, metric, usage_month, position)
    SELECT id, customer_id, invoice_id, kind, description, quantity, unit, unit_amount_micros, amount_cents, metric,
           usage_month, position
    FROM lines ORDER BY customer_id, position
  )
  SELECT count(*)::integer, coalesce(sum(total_cents), 0)::bigint INTO out_issued, out_cents FROM invoiced;
END
$$;

-- No application role creates temporary objects (PUBLIC held TEMPORARY on the database by default).
DO $$
BEGIN
  EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM PUBLIC, sb_api, sb_analytics, sb_jobs, sb_auth, sb_context, sb_status',
                 current_database());
END $$;

-- 3 and 2: every function of ours, its owner, and exactly who may execute it. Definers get
-- search_path = pg_catalog, public, pg_temp. A function missing here keeps PUBLIC's EXECUTE and
-- fails test/tenancy/functions.test.ts, which holds the same map.
DO $$
DECLARE
  f record;
BEGIN
  FOR f IN SELECT * FROM (VALUES
    -- the context and what reads it: every role whose queries meet a tenant policy (the
    -- migrating role too: it writes fixtures and bootstrap rows inside a context)
    ('app.context()', 'sb_context', ARRAY[current_user::text, 'sb_api', 'sb_analytics', 'sb_jobs', 'sb_auth', 'sb_status']),
    ('app.current_customer_id()', current_user::text, ARRAY['sb_api', 'sb_analytics', 'sb_jobs', 'sb_auth', 'sb_status']),
    ('app.current_user_id()', current_user::text, ARRAY['sb_api', 'sb_analytics', 'sb_jobs', 'sb_auth']),
    ('app.current_role()', current_user::text, ARRAY['sb_api', 'sb_analytics', 'sb_jobs', 'sb_auth']),
    ('app.is_super_admin()', current_user::text, ARRAY['sb_api', 'sb_analytics', 'sb_jobs', 'sb_auth', 'sb_status']),
    ('app.has_role(text)', current_user::text, ARRAY['sb_api', 'sb_analytics', 'sb_jobs', 'sb_auth']),
    ('app.has_permission(text)', current_user::text, ARRAY['sb_api', 'sb_analytics', 'sb_jobs']),
    ('app.uuid_v7()', current_user::text, ARRAY['sb_api', 'sb_jobs']),
    -- lookups before any tenant context exists
    ('app.resolve_api_key(bytea)', 'sb_auth', ARRAY['sb_api']),
    ('app.find_login(text)', 'sb_auth', ARRAY['sb_api']),
    ('app.find_invite(bytea)', 'sb_auth', ARRAY['sb_api']),
    ('app.staff_member(uuid)', 'sb_auth', ARRAY['sb_api']),
    ('app.platform_status()', 'sb_status', ARRAY['sb_api']),
    -- audit
    ('app.audit_chain_append()', current_user::text, ARRAY[]::text[]),
    ('app.audit_reject_change()', current_user::text, ARRAY[]::text[]),
    ('app.audit_canonical(audit_events)', current_user::text, ARRAY['sb_api', 'sb_analytics']),
    ('app.verify_audit_chain()', current_user::text, ARRAY['sb_api', 'sb_analytics']),
    -- accounts
    ('app.reserve_managed_account(text, text)', current_user::text, ARRAY['sb_api']),
    ('app.release_managed_account(uuid)', current_user::text, ARRAY['sb_api']),
    -- billing
    ('app.billing_lookback_months()', current_user::text, ARRAY['sb_api', 'sb_analytics', 'sb_jobs']),
    ('app.billing_lines(date, uuid[])', current_user::text, ARRAY['sb_api', 'sb_analytics', 'sb_jobs']),
    ('app.require_billing_operator()', current_user::text, ARRAY['sb_api', 'sb_jobs']),
    ('app.issue_invoices(uuid, date, uuid[], integer, bigint)', current_user::text, ARRAY['sb_jobs']),
    ('app.ingest_usage(jsonb)', 'sb_jobs', ARRAY['sb_api', 'sb_jobs']),
    ('app.start_billing_run(date, boolean, text, text)', 'sb_jobs', ARRAY['sb_api', 'sb_jobs']),
    ('app.billing_run_batch(uuid, uuid, integer)', 'sb_jobs', ARRAY['sb_api', 'sb_jobs']),
    ('app.finish_billing_run(uuid, text)', 'sb_jobs', ARRAY['sb_api', 'sb_jobs']),
    ('app.billing_runs_page(uuid, integer, uuid)', 'sb_jobs', ARRAY['sb_api', 'sb_jobs']),
    -- migration helpers: the migrating role alone
    ('app.hand_function_to(regprocedure, name)', current_user::text, ARRAY[]::text[]),
    ('app.secure_tenant_table(regclass, text)', current_user::text, ARRAY[]::text[]),
    ('app.grant_jobs_access(regclass, text[])', current_user::text, ARRAY[]::text[]),
    ('app.reclaim_function(regprocedure)', current_user::text, ARRAY[]::text[]),
    ('app.install_function(regprocedure, name, name[])', current_user::text, ARRAY[]::text[])
  ) AS t(fn, owner, grantees) LOOP
    PERFORM app.install_function(f.fn::regprocedure, f.owner::name, f.grantees::name[]);
  END LOOP;
END $$;

-- 1. Column privileges of the request role on the two tables that hold privileges and money.
-- Drizzle names every column of the table in an INSERT (DEFAULT for the ones not given), so
-- INSERT stays on every column; UPDATE is what the API sets: users (worker/users/users.ts,
-- worker/auth/routes.ts) and customers (worker/admin/customers.ts, staff only).
REVOKE INSERT, UPDATE ON users, customers FROM sb_api;
GRANT INSERT (id, customer_id, email, name, role, platform_role, status, password_hash, last_login_at, created_at,
              updated_at) ON users TO sb_api;
GRANT UPDATE (name, role, status, last_login_at, updated_at) ON users TO sb_api;
GRANT INSERT (id, name, email, tier, status, tax_rate_bps, created_at) ON customers TO sb_api;
GRANT UPDATE (name, tier, status, tax_rate_bps) ON customers TO sb_api;

-- The platform role of a user and the commercial fields of a customer are set only by
-- SecureBase staff (a signed super-admin context) or by the migrating role that owns the table
-- (db:create-staff, fixtures). Checked on every write, whatever the column grants: TG_ARGV names
-- the guarded columns; on INSERT a non-null value counts as a change.
CREATE FUNCTION app.refuse_unless_staff() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  col text;
  v_new jsonb := to_jsonb(NEW);
  v_old jsonb := CASE WHEN TG_OP = 'UPDATE' THEN to_jsonb(OLD) ELSE '{}'::jsonb END;
BEGIN
  IF app.is_super_admin()
     OR pg_has_role(current_user, (SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'USAGE') THEN
    RETURN NEW;
  END IF;
  FOREACH col IN ARRAY TG_ARGV LOOP
    IF (TG_OP = 'INSERT' AND v_new->col <> 'null'::jsonb) OR (TG_OP = 'UPDATE' AND v_new->col IS DISTINCT FROM v_old->col) THEN
      RAISE EXCEPTION '%.% can only be changed by SecureBase staff', TG_TABLE_NAME, col USING ERRCODE = '42501';
    END IF;
  END LOOP;
  RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION app.refuse_unless_staff() FROM PUBLIC;

CREATE TRIGGER users_platform_role_staff_only BEFORE INSERT OR UPDATE ON users
  FOR EACH ROW EXECUTE FUNCTION app.refuse_unless_staff('platform_role');
CREATE TRIGGER customers_commercial_staff_only BEFORE INSERT OR UPDATE ON customers
  FOR EACH ROW EXECUTE FUNCTION app.refuse_unless_staff('tier', 'tax_rate_bps', 'status');
