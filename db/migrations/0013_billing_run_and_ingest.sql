-- Billing engine, part 2: usage ingest with exact incremental rollups, and the monthly run that
-- issues invoices in batches, set-based, on the jobs role.
--
-- Both cross tenants, so they run as sb_jobs: the functions are SECURITY DEFINER owned by
-- sb_jobs. The Cron handler calls them on its own sb_jobs login; the request role may call them
-- only with a verified SecureBase staff context (app.is_super_admin()), which is how
-- POST /v1/admin/usage and POST /v1/admin/billing-runs work without the Worker's request
-- handlers ever holding the jobs credentials.

CREATE FUNCTION app.require_billing_operator() RETURNS void
LANGUAGE plpgsql STABLE AS $$
BEGIN
  IF NOT (pg_has_role(session_user, 'sb_jobs', 'MEMBER') OR app.is_super_admin()) THEN
    RAISE EXCEPTION 'billing operations need the jobs role or a SecureBase staff context' USING ERRCODE = '42501';
  END IF;
END
$$;
GRANT EXECUTE ON FUNCTION app.require_billing_operator() TO sb_api, sb_jobs;

SELECT app.grant_jobs_access('usage_events', ARRAY['INSERT']);
GRANT SELECT ON rate_card TO sb_jobs;

-- Ingests a batch of usage events (a JSON array of {event_id, customer_id, metric, quantity,
-- occurred_at, account_id?}, shape and time window already checked by the Worker).
-- All or nothing: references are checked first and any problem returns {"errors": [...]} (index,
-- field, code, message) with nothing written. Otherwise returns {"results": [{index, status}]}:
-- `accepted`, `duplicate` (same event id and same payload as stored: idempotent forever) or
-- `conflict` (same event id, different payload: the stored event is kept and the new one
-- reported, never silently merged). Accepted events are added to usage_daily and usage_monthly
-- by the UTC day and month they occurred in, so late events land in their own day and month.
CREATE FUNCTION app.ingest_usage(p_events jsonb) RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
  v_errors jsonb;
  v_results jsonb;
  v_inserted text[];
BEGIN
  PERFORM app.require_billing_operator();

  SELECT coalesce(jsonb_agg(e ORDER BY (e->>'index')::integer, e->>'field'), '[]') INTO v_errors FROM (
    SELECT jsonb_build_object('index', i.idx - 1, 'field', 'customer_id', 'code', 'unknown_customer',
                              'message', 'no customer with this id') AS e
    FROM jsonb_array_elements(p_events) WITH ORDINALITY AS i(ev, idx)
    WHERE NOT EXISTS (SELECT 1 FROM customers c WHERE c.id = (i.ev->>'customer_id')::uuid)
    UNION ALL
    -- Priced in the month it occurred: an item must be on the rate card by that month's first day.
    SELECT jsonb_build_object('index', i.idx - 1, 'field', 'metric', 'code', 'unknown_metric',
                              'message', 'is not an item of the rate card in force in the month it occurred')
    FROM jsonb_array_elements(p_events) WITH ORDINALITY AS i(ev, idx)
    WHERE NOT EXISTS (SELECT 1 FROM rate_card r WHERE r.item = i.ev->>'metric'
                        AND r.effective_from <= date_trunc('month', (i.ev->>'occurred_at')::timestamptz AT TIME ZONE 'UTC')::date)
    UNION ALL
    SELECT jsonb_build_object('index', i.idx - 1, 'field', 'account_id', 'code', 'unknown_account',
                              'message', 'no managed account with this id for this customer')
    FROM jsonb_array_elements(p_events) WITH ORDINALITY AS i(ev, idx)
    WHERE i.ev->>'account_id' IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM managed_accounts a
                      WHERE a.customer_id = (i.ev->>'customer_id')::uuid AND a.id = (i.ev->>'account_id')::uuid)
  ) problems;
  IF jsonb_array_length(v_errors) > 0 THEN
    RETURN jsonb_build_object('errors', v_errors);
  END IF;

  WITH input AS (
    SELECT i.idx - 1 AS index, i.ev->>'event_id' AS event_id, (i.ev->>'customer_id')::uuid AS customer_id,
           i.ev->>'metric' AS metric, (i.ev->>'quantity')::numeric(20, 6) AS quantity,
           (i.ev->>'occurred_at')::timestamptz AS occurred_at, (i.ev->>'account_id')::uuid AS account_id
    FROM jsonb_array_elements(p_events) WITH ORDINALITY AS i(ev, idx)
  ),
  firsts AS (
    SELECT DISTINCT ON (customer_id, event_id) * FROM input ORDER BY customer_id, event_id, index
  ),
  inserted AS (
    INSERT INTO usage_events (customer_id, event_id, metric, quantity, account_id, occurred_at)
    SELECT customer_id, event_id, metric, quantity, account_id, occurred_at FROM firsts ORDER BY customer_id, event_id
    ON CONFLICT (customer_id, event_id) DO NOTHING
    RETURNING customer_id, event_id, metric, quantity, occurred_at
  ),
  daily AS (
    INSERT INTO usage_daily AS d (customer_id, metric, day, quantity, events)
    SELECT customer_id, metric, (occurred_at AT TIME ZONE 'UTC')::date, sum(quantity), count(*)
    FROM inserted GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    ON CONFLICT (customer_id, metric, day) DO UPDATE
      SET quantity = d.quantity + excluded.quantity, events = d.events + excluded.events, updated_at = now()
  ),
  monthly AS (
    INSERT INTO usage_monthly AS m (customer_id, metric, month, quantity, events)
    SELECT customer_id, metric, date_trunc('month', occurred_at AT TIME ZONE 'UTC')::date, sum(quantity), count(*)
    FROM inserted GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    ON CONFLICT (customer_id, metric, month) DO UPDATE
      SET quantity = m.quantity + excluded.quantity, events = m.events + excluded.events, updated_at = now()
  )
  SELECT coalesce(array_agg(customer_id::text || ' ' || event_id), '{}') INTO v_inserted FROM inserted;

  -- A new statement, so it also sees an event a concurrent batch committed meanwhile.
  WITH input AS (
    SELECT i.idx - 1 AS index, i.ev->>'event_id' AS event_id, (i.ev->>'customer_id')::uuid AS customer_id,
           i.ev->>'metric' AS metric, (i.ev->>'quantity')::numeric(20, 6) AS quantity,
           (i.ev->>'occurred_at')::timestamptz AS occurred_at, (i.ev->>'account_id')::uuid AS account_id
    FROM jsonb_array_elements(p_events) WITH ORDINALITY AS i(ev, idx)
  )
  SELECT jsonb_agg(jsonb_build_object('index', n.index, 'status',
           CASE
             WHEN n.first AND n.customer_id::text || ' ' || n.event_id = ANY (v_inserted) THEN 'accepted'
             WHEN s.metric = n.metric AND s.quantity = n.quantity AND s.occurred_at = n.occurred_at
                  AND s.account_id IS NOT DISTINCT FROM n.account_id THEN 'duplicate'
             ELSE 'conflict'
           END) ORDER BY n.index)
  INTO v_results
  FROM (SELECT *, row_number() OVER (PARTITION BY customer_id, event_id ORDER BY index) = 1 AS first FROM input) n
  LEFT JOIN usage_events s ON s.customer_id = n.customer_id AND s.event_id = n.event_id;
  RETURN jsonb_build_object('results', coalesce(v_results, '[]'));
END
$$;

-- Runs: trigger and requester, failed customers with their errors, a `partial` outcome.
ALTER TABLE billing_runs
  ADD COLUMN trigger          text NOT NULL DEFAULT 'manual' CHECK (trigger IN ('cron', 'manual')),
  ADD COLUMN requested_by     text,
  ADD COLUMN customers_failed integer NOT NULL DEFAULT 0 CHECK (customers_failed >= 0),
  ADD COLUMN errors           jsonb NOT NULL DEFAULT '[]',
  DROP CONSTRAINT billing_runs_status_check,
  ADD CONSTRAINT billing_runs_status_check CHECK (status IN ('running', 'succeeded', 'partial', 'failed'));

CREATE FUNCTION app.start_billing_run(p_period date, p_dry_run boolean, p_trigger text, p_requested_by text)
RETURNS billing_runs
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
  v_run billing_runs;
BEGIN
  PERFORM app.require_billing_operator();
  IF p_period <> date_trunc('month', p_period)::date
     OR p_period >= date_trunc('month', now() AT TIME ZONE 'UTC')::date THEN
    RAISE EXCEPTION 'a billing run bills a closed calendar month (got %)', p_period USING ERRCODE = '22023';
  END IF;
  INSERT INTO billing_runs (period_start, status, dry_run, trigger, requested_by)
  VALUES (p_period, 'running', p_dry_run, p_trigger, p_requested_by)
  RETURNING * INTO v_run;
  RETURN v_run;
END
$$;

-- Issues the invoices of one set of customers for a period in four statements: price every line
-- (app.billing_lines), insert the invoices numbered p_first_number + 0, 1, …, their line items,
-- an `invoice.created` outbox event and an audit event each. Returns how many and their total.
CREATE FUNCTION app.issue_invoices(p_run uuid, p_period date, p_customers uuid[], p_year integer, p_first_number bigint,
                                   OUT out_issued integer, OUT out_cents bigint)
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  -- Every line, with the id its invoice will have (assigned here, so no pass joins them later).
  CREATE TEMP TABLE IF NOT EXISTS billing_batch_lines (LIKE invoice_line_items) ON COMMIT DROP;
  TRUNCATE billing_batch_lines;
  WITH ids AS (SELECT c AS customer_id, app.uuid_v7() AS invoice_id FROM unnest(p_customers) AS c)
  INSERT INTO billing_batch_lines (id, customer_id, invoice_id, kind, description, quantity, unit, unit_amount_micros,
                                   amount_cents, created_at, metric, usage_month, position)
  SELECT app.uuid_v7(), l.customer_id, ids.invoice_id, l.kind, l.description, l.quantity, l.unit,
         l.unit_amount_micros, l.amount_cents, now(), l.metric, l.usage_month, l.position
  FROM app.billing_lines(p_period, p_customers) l JOIN ids ON ids.customer_id = l.customer_id;

  WITH heads AS (
    SELECT l.customer_id, l.invoice_id,
           coalesce(sum(l.amount_cents) FILTER (WHERE l.kind IN ('base', 'usage')), 0) AS subtotal,
           coalesce(-sum(l.amount_cents) FILTER (WHERE l.kind = 'discount'), 0) AS discount,
           coalesce(sum(l.amount_cents) FILTER (WHERE l.kind = 'tax'), 0) AS tax,
           row_number() OVER (ORDER BY l.customer_id) AS n
    FROM billing_batch_lines l GROUP BY l.customer_id, l.invoice_id
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
  )
  SELECT count(*)::integer, coalesce(sum(total_cents), 0)::bigint INTO out_issued, out_cents FROM invoiced;

  INSERT INTO invoice_line_items (id, customer_id, invoice_id, kind, description, quantity, unit, unit_amount_micros,
                                  amount_cents, metric, usage_month, position)
  SELECT id, customer_id, invoice_id, kind, description, quantity, unit, unit_amount_micros, amount_cents, metric,
         usage_month, position
  FROM billing_batch_lines ORDER BY customer_id, position;
  TRUNCATE billing_batch_lines;
END
$$;

-- One batch of a run: the next p_limit active customers (by id, after p_after) that existed
-- before the period ended. Those still without an invoice for the period are invoiced together;
-- if that fails, one by one, so a failing customer is recorded in the run and the others are
-- still invoiced. Invoice numbers are gap-free: the year's counter row is locked first (which
-- also serialises overlapping runs, so each sees the other's committed invoices) and only
-- advanced by what was issued; a rolled-back invoice burns no number. The (customer_id,
-- period_start) unique constraint makes a second invoice for a customer-month impossible.
-- A dry run prices the same customers and records the totals without issuing anything.
CREATE FUNCTION app.billing_run_batch(p_run uuid, p_after uuid, p_limit integer)
RETURNS TABLE (examined integer, last_customer uuid, issued integer, failed integer, issued_cents bigint)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
  v_run billing_runs;
  v_batch uuid[];
  v_pending uuid[];
  v_year integer := extract(year FROM now() AT TIME ZONE 'UTC')::integer;
  v_next bigint;
  v_issued integer := 0;
  v_cents bigint := 0;
  v_errors jsonb := '[]';
  v_one record;
  v_customer uuid;
BEGIN
  PERFORM app.require_billing_operator();
  SELECT * INTO v_run FROM billing_runs WHERE id = p_run FOR UPDATE;
  IF v_run.id IS NULL OR v_run.status <> 'running' THEN
    RAISE EXCEPTION 'billing run % is not running', p_run USING ERRCODE = '55000';
  END IF;

  SELECT coalesce(array_agg(id ORDER BY id), '{}') INTO v_batch FROM (
    SELECT c.id FROM customers c
    WHERE c.status = 'active' AND c.created_at < (v_run.period_start + interval '1 month')
      AND (p_after IS NULL OR c.id > p_after)
    ORDER BY c.id LIMIT p_limit
  ) next_customers;
  examined := cardinality(v_batch);
  last_customer := v_batch[examined];
  IF examined = 0 THEN
    issued := 0; failed := 0; issued_cents := 0;
    RETURN NEXT;
    RETURN;
  END IF;

  IF NOT v_run.dry_run THEN
    INSERT INTO invoice_number_sequences (year) VALUES (v_year) ON CONFLICT (year) DO NOTHING;
    SELECT s.last_value + 1 INTO v_next FROM invoice_number_sequences s WHERE s.year = v_year FOR UPDATE;
  END IF;

  -- Read after the lock: an overlapping run's committed invoices are visible here.
  SELECT coalesce(array_agg(b ORDER BY b), '{}') INTO v_pending FROM unnest(v_batch) AS b
  WHERE NOT EXISTS (SELECT 1 FROM invoices i WHERE i.customer_id = b AND i.period_start = v_run.period_start);

  IF cardinality(v_pending) = 0 THEN
    NULL;
  ELSIF v_run.dry_run THEN
    SELECT count(DISTINCT l.customer_id)::integer, coalesce(sum(l.amount_cents), 0)::bigint INTO v_issued, v_cents
    FROM app.billing_lines(v_run.period_start, v_pending) l;
  ELSE
    BEGIN
      SELECT * INTO v_one FROM app.issue_invoices(p_run, v_run.period_start, v_pending, v_year, v_next);
      v_issued := v_one.out_issued;
      v_cents := v_one.out_cents;
    EXCEPTION WHEN OTHERS THEN
      FOREACH v_customer IN ARRAY v_pending LOOP
        BEGIN
          SELECT * INTO v_one FROM app.issue_invoices(p_run, v_run.period_start, ARRAY[v_customer], v_year, v_next + v_issued);
          v_issued := v_issued + v_one.out_issued;
          v_cents := v_cents + v_one.out_cents;
        EXCEPTION WHEN OTHERS THEN
          v_errors := v_errors || jsonb_build_object('customer_id', v_customer, 'sqlstate', SQLSTATE, 'error', SQLERRM);
        END;
      END LOOP;
    END;
    UPDATE invoice_number_sequences SET last_value = v_next + v_issued - 1 WHERE year = v_year;
  END IF;

  failed := jsonb_array_length(v_errors);
  UPDATE billing_runs
  SET customers_billed = customers_billed + v_issued, total_cents = billing_runs.total_cents + v_cents,
      customers_failed = customers_failed + failed, errors = billing_runs.errors || v_errors
  WHERE id = p_run;
  issued := v_issued;
  issued_cents := v_cents;
  RETURN NEXT;
END
$$;

-- Ends a run: `succeeded`, `partial` when some customers failed, or `failed` with the error that
-- stopped it (the customers it did not reach are billed by the next run for the period).
CREATE FUNCTION app.finish_billing_run(p_run uuid, p_error text) RETURNS billing_runs
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
  v_run billing_runs;
BEGIN
  PERFORM app.require_billing_operator();
  UPDATE billing_runs
  SET status = CASE WHEN p_error IS NOT NULL THEN 'failed' WHEN customers_failed > 0 THEN 'partial' ELSE 'succeeded' END,
      error = coalesce(p_error, CASE WHEN customers_failed > 0 THEN customers_failed || ' customer(s) could not be invoiced; see errors' END),
      finished_at = now()
  WHERE id = p_run AND status = 'running'
  RETURNING * INTO v_run;
  RETURN v_run;
END
$$;

-- Staff read runs through this (billing_runs has no tenant and no request-role grant).
CREATE FUNCTION app.billing_runs_page(p_after uuid, p_limit integer, p_id uuid DEFAULT NULL) RETURNS SETOF billing_runs
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
  PERFORM app.require_billing_operator();
  RETURN QUERY SELECT * FROM billing_runs r
    WHERE (p_id IS NULL OR r.id = p_id) AND (p_after IS NULL OR r.id < p_after)
    ORDER BY r.id DESC LIMIT p_limit;
END
$$;

DO $$
DECLARE f text;
BEGIN
  FOREACH f IN ARRAY ARRAY['app.ingest_usage(jsonb)', 'app.start_billing_run(date, boolean, text, text)',
                           'app.billing_run_batch(uuid, uuid, integer)', 'app.finish_billing_run(uuid, text)',
                           'app.billing_runs_page(uuid, integer, uuid)'] LOOP
    PERFORM app.hand_function_to(f::regprocedure, 'sb_jobs');
    EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
    EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO sb_jobs, sb_api', f);
  END LOOP;
END $$;
REVOKE ALL ON FUNCTION app.issue_invoices(uuid, date, uuid[], integer, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.issue_invoices(uuid, date, uuid[], integer, bigint) TO sb_jobs;
