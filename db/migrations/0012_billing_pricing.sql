-- Billing engine, part 1: what a customer-month costs (SPEC §5, seed 001 §4.3), computed by one
-- set-based SQL function that the monthly run, the preview and the metrics endpoint all share.

-- Billable usage comes from the platform, never from the tenant it bills: `usage:write` is gone
-- from the matrix, and the request role can no longer write usage rows itself (ingest runs in
-- app.ingest_usage, below, for SecureBase staff and the jobs role only).
DELETE FROM role_permissions WHERE permission = 'usage:write';
REVOKE INSERT ON usage_events FROM sb_api;
REVOKE INSERT, UPDATE ON usage_daily, usage_monthly FROM sb_api;

-- A usage line remembers which metric and month it bills, so usage that arrives after its month
-- was invoiced can be billed as an adjustment (the difference) on the next invoice, exactly once.
-- `position` keeps the document order (base, usage, adjustments, discount, tax).
ALTER TABLE invoice_line_items
  ADD COLUMN metric      text CHECK (metric ~ '^[a-z_]+$'),
  ADD COLUMN usage_month date CHECK (extract(day FROM usage_month) = 1),
  ADD COLUMN position    integer,
  ADD CHECK ((metric IS NULL) = (usage_month IS NULL));
CREATE INDEX invoice_line_items_usage_idx ON invoice_line_items (customer_id, usage_month, metric)
  WHERE usage_month IS NOT NULL;

-- Late usage for any of the 3 months before the billed period becomes an adjustment line; ingest
-- refuses events older than that window, so nothing accepted can fall outside it.
CREATE FUNCTION app.billing_lookback_months() RETURNS integer
LANGUAGE sql IMMUTABLE AS $$ SELECT 3 $$;

-- Every line of the invoice of each customer in p_customers for the calendar month p_period
-- (UTC): tier base, usage at the rate card in force on the period's first day, adjustments for
-- late usage of already-invoiced months (at their own month's rates), the volume discount band
-- reached by the pre-tax subtotal (as a negative line), and tax at the customer's rate on the
-- discounted subtotal. Every amount is rounded half-up to the cent on its own line, in numeric
-- (exact) arithmetic; the invoice totals are sums of these lines.
-- Invoker's rights: on the request role RLS limits it to the caller's own customer (preview),
-- on the jobs role it prices any batch of customers (the run).
CREATE FUNCTION app.billing_lines(p_period date, p_customers uuid[])
RETURNS TABLE (customer_id uuid, "position" integer, kind text, description text, metric text, usage_month date,
               quantity numeric, unit text, unit_amount_micros bigint, amount_cents bigint)
LANGUAGE sql STABLE AS $$
  WITH months AS (
    SELECT (p_period - make_interval(months => g))::date AS month
    FROM generate_series(0, app.billing_lookback_months()) AS g
  ),
  prices AS (
    SELECT DISTINCT ON (m.month, r.item) m.month, r.item, r.description, r.unit, r.unit_price_micros
    FROM months m JOIN rate_card r ON r.effective_from <= m.month
    ORDER BY m.month, r.item, r.effective_from DESC
  ),
  billable AS (
    SELECT c.id, c.tier, c.tax_rate_bps, tf.base_price_cents
    FROM customers c JOIN tier_features tf ON tf.tier = c.tier
    WHERE c.id = ANY (p_customers)
  ),
  -- What invoices for earlier periods already billed, per metric and usage month.
  billed AS (
    SELECT li.customer_id, li.metric, li.usage_month, sum(li.quantity) AS quantity
    FROM invoice_line_items li
    JOIN invoices i ON i.customer_id = li.customer_id AND i.id = li.invoice_id
    WHERE li.customer_id = ANY (p_customers) AND li.usage_month IS NOT NULL
      AND li.usage_month >= (p_period - make_interval(months => app.billing_lookback_months()))::date
      AND i.period_start < p_period AND i.status <> 'void'
    GROUP BY 1, 2, 3
  ),
  usage_lines AS (
    SELECT u.customer_id, u.metric, u.month, u.quantity, p.description, p.unit, p.unit_price_micros
    FROM usage_monthly u JOIN prices p ON p.month = u.month AND p.item = u.metric
    WHERE u.customer_id = ANY (p_customers) AND u.month = p_period AND u.quantity > 0
  ),
  adjustment_lines AS (
    SELECT u.customer_id, u.metric, u.month, u.quantity - coalesce(b.quantity, 0) AS quantity,
           p.description, p.unit, p.unit_price_micros
    FROM usage_monthly u
    JOIN prices p ON p.month = u.month AND p.item = u.metric
    LEFT JOIN billed b ON b.customer_id = u.customer_id AND b.metric = u.metric AND b.usage_month = u.month
    WHERE u.customer_id = ANY (p_customers) AND u.month < p_period AND u.month IN (SELECT month FROM months)
      AND u.quantity > coalesce(b.quantity, 0)
      -- only months that were invoiced: an uninvoiced month is billed by its own run
      AND EXISTS (SELECT 1 FROM invoices i WHERE i.customer_id = u.customer_id AND i.period_start = u.month AND i.status <> 'void')
  ),
  lines AS (
    SELECT b.id AS customer_id, 1 AS "position", 'base' AS kind,
           initcap(replace(b.tier, '_', ' ')) || ' tier base fee' AS description,
           NULL::text AS metric, NULL::date AS usage_month, 1::numeric AS quantity, NULL::text AS unit,
           b.base_price_cents * 10000 AS unit_amount_micros, b.base_price_cents AS amount_cents
    FROM billable b
    UNION ALL
    SELECT customer_id, 10 + row_number() OVER (PARTITION BY customer_id ORDER BY metric)::integer, 'usage',
           description, metric, month, quantity, unit, unit_price_micros,
           round(quantity * unit_price_micros / 10000)::bigint
    FROM usage_lines
    UNION ALL
    SELECT customer_id, 100 + row_number() OVER (PARTITION BY customer_id ORDER BY month, metric)::integer, 'usage',
           'Adjustment for ' || to_char(month, 'FMMonth YYYY') || ': ' || description || ' reported late',
           metric, month, quantity, unit, unit_price_micros,
           round(quantity * unit_price_micros / 10000)::bigint
    FROM adjustment_lines
  ),
  subtotals AS (
    SELECT l.customer_id, sum(l.amount_cents)::bigint AS subtotal FROM lines l GROUP BY l.customer_id
  ),
  discounted AS (
    SELECT s.customer_id, s.subtotal, b.tax_rate_bps, coalesce(band.discount_bps, 0) AS discount_bps,
           round(s.subtotal * coalesce(band.discount_bps, 0) / 10000.0)::bigint AS discount
    FROM subtotals s
    JOIN billable b ON b.id = s.customer_id
    LEFT JOIN LATERAL (
      SELECT v.discount_bps FROM volume_discount_bands v
      WHERE v.effective_from = (SELECT max(effective_from) FROM volume_discount_bands WHERE effective_from <= p_period)
        AND v.from_subtotal_cents <= s.subtotal
      ORDER BY v.from_subtotal_cents DESC LIMIT 1
    ) band ON true
  )
  SELECT * FROM lines
  UNION ALL
  SELECT d.customer_id, 900, 'discount',
         'Volume discount (' || trim_scale(d.discount_bps / 100.0)::text || '%)',
         NULL, NULL, 1, NULL, NULL, -d.discount
  FROM discounted d WHERE d.discount > 0
  UNION ALL
  SELECT d.customer_id, 901, 'tax', 'Tax (' || to_char(d.tax_rate_bps / 100.0, 'FM990.00') || '%)',
         NULL, NULL, 1, NULL, NULL, round((d.subtotal - d.discount) * d.tax_rate_bps / 10000.0)::bigint
  FROM discounted d
$$;
GRANT EXECUTE ON FUNCTION app.billing_lookback_months(), app.billing_lines(date, uuid[]) TO sb_api, sb_jobs, sb_analytics;
