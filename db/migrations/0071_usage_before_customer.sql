-- Usage that can never be billed is refused: app.ingest_usage also answers `before_customer` on
-- occurred_at for an event before the first instant (UTC) of the month its customer was created
-- in. The billing run bills a customer for a month only when customers.created_at is before that
-- month's end (app.billing_run_batch, 0013), so such an event would be accepted and never invoiced.
-- The function belongs to sb_jobs (0013): the migration role joins sb_jobs to replace it, as
-- app.hand_function_to does.

GRANT sb_jobs TO CURRENT_USER;
GRANT CREATE ON SCHEMA app TO sb_jobs;
CREATE OR REPLACE FUNCTION app.ingest_usage(p_events jsonb) RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
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
    -- A run bills a customer for a month only if the customer was created before the month ended
    -- (app.billing_run_batch), so usage before the customer's first month is never invoiced.
    SELECT jsonb_build_object('index', i.idx - 1, 'field', 'occurred_at', 'code', 'before_customer',
                              'message', format('is before %s, the start of the month (UTC) the customer was created in (%s): usage before it is never billed',
                                                to_char(date_trunc('month', c.created_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
                                                to_char(c.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')))
    FROM jsonb_array_elements(p_events) WITH ORDINALITY AS i(ev, idx)
    JOIN customers c ON c.id = (i.ev->>'customer_id')::uuid
    WHERE (i.ev->>'occurred_at')::timestamptz < date_trunc('month', c.created_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
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
REVOKE CREATE ON SCHEMA app FROM sb_jobs;
REVOKE sb_jobs FROM CURRENT_USER;
