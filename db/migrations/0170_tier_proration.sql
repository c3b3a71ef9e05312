-- Proration of a mid-month tier change (docs/billing.md, "Proration"). A tier change takes effect
-- when it is made: every change of customers.tier is recorded with its moment, in the same
-- statement (a trigger, so no path can change a tier without leaving its history), and
-- app.billing_lines splits the month's base fee by UTC day between the tiers in force.

CREATE TABLE customer_tier_changes (
  id           uuid PRIMARY KEY DEFAULT app.uuid_v7(),
  customer_id  uuid NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
  from_tier    text NOT NULL REFERENCES tier_features (tier),
  to_tier      text NOT NULL REFERENCES tier_features (tier),
  effective_at timestamptz NOT NULL DEFAULT now(),
  CHECK (from_tier <> to_tier)
);
CREATE INDEX customer_tier_changes_customer_idx ON customer_tier_changes (customer_id, effective_at);
SELECT app.secure_tenant_table('customer_tier_changes');
SELECT app.grant_jobs_access('customer_tier_changes', ARRAY['SELECT', 'INSERT']);
-- Read by app.billing_lines on every role that prices (preview and metrics on sb_api, in the
-- customer's context); written only by the trigger below, never by a request.
GRANT SELECT ON customer_tier_changes TO sb_api, sb_analytics;

-- Definer owned by sb_jobs (its insert policy), so the history is written whoever changes the
-- tier; who may change it at all is still app.refuse_unless_staff's decision (0070).
CREATE FUNCTION app.record_tier_change() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
  INSERT INTO customer_tier_changes (customer_id, from_tier, to_tier, effective_at)
  VALUES (NEW.id, OLD.tier, NEW.tier, now());
  RETURN NULL;
END
$$;
CREATE TRIGGER customers_record_tier_change AFTER UPDATE OF tier ON customers
  FOR EACH ROW WHEN (OLD.tier IS DISTINCT FROM NEW.tier) EXECUTE FUNCTION app.record_tier_change();
-- The trigger first: the migrating role loses EXECUTE with the ownership.
SELECT app.install_function('app.record_tier_change()', 'sb_jobs', ARRAY[]::name[]);

-- app.billing_lines as replaced in 0140, with one change: the base fee. The tier in force on each
-- UTC day of the period: the day of a change belongs to the new tier (the last change of a day
-- wins), the tier before the first change from the period on is that change's from_tier, and
-- with no such change the customer's current tier. One tier all month: one line "Standard tier
-- base fee" as before. Otherwise one line per run of days ("Standard, 1–14 Dec"), each the
-- tier's fee × days / days in the month; the amounts round by the cumulative sum (each line =
-- round(fee share so far) − round(share before it), half-up, in integers), so they add up
-- exactly to the rounded prorated fee and each is within a cent of its exact share.
SELECT app.reclaim_function('app.billing_lines(date, uuid[])');
CREATE OR REPLACE FUNCTION app.billing_lines(p_period date, p_customers uuid[])
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
    SELECT c.id, c.tier, c.tax_rate_bps,
           app.tax_note(c.tax_status, c.tax_exempt_certificate, c.billing_tax_id) AS tax_note
    FROM customers c
    WHERE c.id = ANY (p_customers)
  ),
  -- Tier changes from the period's first instant (UTC) on; later ones tell what the tier was.
  changes AS (
    SELECT t.customer_id, t.from_tier, t.to_tier, t.effective_at, (t.effective_at AT TIME ZONE 'UTC')::date AS day
    FROM customer_tier_changes t
    WHERE t.customer_id = ANY (p_customers) AND t.effective_at >= (p_period::timestamp AT TIME ZONE 'UTC')
  ),
  tier_points AS (
    SELECT DISTINCT ON (p.customer_id, p.day) p.customer_id, p.day, p.tier
    FROM (
      SELECT b.id AS customer_id, p_period AS day, coalesce(f.from_tier, b.tier) AS tier, 0 AS priority
      FROM billable b
      LEFT JOIN (SELECT DISTINCT ON (ch.customer_id) ch.customer_id, ch.from_tier FROM changes ch
                 ORDER BY ch.customer_id, ch.effective_at) f ON f.customer_id = b.id
      UNION ALL
      SELECT ch.customer_id, ch.day, ch.to_tier, 1 + row_number() OVER (PARTITION BY ch.customer_id, ch.day ORDER BY ch.effective_at)
      FROM changes ch WHERE ch.day < (p_period + interval '1 month')::date
    ) p
    ORDER BY p.customer_id, p.day, p.priority DESC
  ),
  tier_starts AS (
    SELECT s.customer_id, s.day, s.tier FROM (
      SELECT tp.*, lag(tp.tier) OVER (PARTITION BY tp.customer_id ORDER BY tp.day) AS previous FROM tier_points tp
    ) s WHERE s.previous IS DISTINCT FROM s.tier
  ),
  tier_periods AS (
    SELECT ts.customer_id, ts.tier, ts.day AS first_day,
           coalesce(lead(ts.day) OVER w - 1, (p_period + interval '1 month')::date - 1) AS last_day,
           count(*) OVER (PARTITION BY ts.customer_id) AS periods,
           row_number() OVER w AS n,
           tf.base_price_cents
    FROM tier_starts ts JOIN tier_features tf ON tf.tier = ts.tier
    WINDOW w AS (PARTITION BY ts.customer_id ORDER BY ts.day)
  ),
  base_lines AS (
    SELECT tp.*, tp.last_day - tp.first_day + 1 AS days,
           sum(tp.base_price_cents * (tp.last_day - tp.first_day + 1)) OVER w AS share_through,
           ((p_period + interval '1 month')::date - p_period) AS month_days
    FROM tier_periods tp
    WINDOW w AS (PARTITION BY tp.customer_id ORDER BY tp.first_day)
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
    SELECT bl.customer_id, bl.n::integer AS "position", 'base' AS kind,
           CASE WHEN bl.periods = 1 THEN initcap(replace(bl.tier, '_', ' ')) || ' tier base fee'
                ELSE initcap(replace(bl.tier, '_', ' ')) || ', ' || extract(day FROM bl.first_day)::text
                     || CASE WHEN bl.days > 1 THEN '–' || extract(day FROM bl.last_day)::text ELSE '' END
                     || ' ' || to_char(p_period, 'Mon') END AS description,
           NULL::text AS metric, NULL::date AS usage_month,
           CASE WHEN bl.periods = 1 THEN 1 ELSE bl.days END::numeric AS quantity,
           CASE WHEN bl.periods = 1 THEN NULL WHEN bl.days = 1 THEN 'day' ELSE 'days' END AS unit,
           CASE WHEN bl.periods = 1 THEN bl.base_price_cents * 10000 END AS unit_amount_micros,
           CASE WHEN bl.periods = 1 THEN bl.base_price_cents
                -- half-up rounding of share / month_days, cumulatively (div: exact, integer)
                ELSE div(2 * bl.share_through + bl.month_days, 2 * bl.month_days)
                     - div(2 * (bl.share_through - bl.base_price_cents * bl.days) + bl.month_days, 2 * bl.month_days)
           END::bigint AS amount_cents
    FROM base_lines bl
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
    SELECT s.customer_id, s.subtotal, b.tax_rate_bps, b.tax_note, coalesce(band.discount_bps, 0) AS discount_bps,
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
  SELECT d.customer_id, 901, 'tax',
         coalesce(d.tax_note, 'Tax (' || to_char(d.tax_rate_bps / 100.0, 'FM990.00') || '%)'),
         NULL, NULL, 1, NULL, NULL,
         CASE WHEN d.tax_note IS NULL THEN round((d.subtotal - d.discount) * d.tax_rate_bps / 10000.0)::bigint ELSE 0 END
  FROM discounted d
$$;
SELECT app.install_function('app.billing_lines(date, uuid[])', current_user,
                            ARRAY['sb_api', 'sb_analytics', 'sb_jobs']::name[]);
