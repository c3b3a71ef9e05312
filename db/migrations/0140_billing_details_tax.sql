-- Billing details and tax status per customer (docs/billing.md, "Tax" and "Documents").
--
-- Billing details (the address and tax id the invoice is made out to) are the customer's own:
-- its admins set them (GET/PATCH /v1/billing-details) and so can staff. The tax status is
-- commercial: only SecureBase staff set it (the refuse_unless_staff trigger, as for the tax rate).
--   taxable         tax at tax_rate_bps (unchanged: 800 = 8 % by default)
--   exempt          no tax; the exemption certificate's reference is required and printed
--   reverse_charge  no tax; the recipient accounts for VAT, so its tax id is required and printed
ALTER TABLE customers
  ADD COLUMN billing_name          text CHECK (length(billing_name) BETWEEN 1 AND 200),
  ADD COLUMN billing_email         text CHECK (length(billing_email) BETWEEN 3 AND 254 AND billing_email LIKE '%_@_%'),
  ADD COLUMN billing_address_line1 text CHECK (length(billing_address_line1) BETWEEN 1 AND 200),
  ADD COLUMN billing_address_line2 text CHECK (length(billing_address_line2) BETWEEN 1 AND 200),
  ADD COLUMN billing_city          text CHECK (length(billing_city) BETWEEN 1 AND 100),
  ADD COLUMN billing_region        text CHECK (length(billing_region) BETWEEN 1 AND 100),
  ADD COLUMN billing_postal_code   text CHECK (length(billing_postal_code) BETWEEN 1 AND 20),
  ADD COLUMN billing_country       text CHECK (billing_country ~ '^[A-Z]{2}$'),
  ADD COLUMN billing_tax_id        text CHECK (length(billing_tax_id) BETWEEN 2 AND 50),
  ADD COLUMN tax_status            text NOT NULL DEFAULT 'taxable'
    CHECK (tax_status IN ('taxable', 'exempt', 'reverse_charge')),
  ADD COLUMN tax_exempt_certificate text CHECK (length(tax_exempt_certificate) BETWEEN 1 AND 100),
  ADD CONSTRAINT customers_exempt_has_certificate CHECK (tax_status <> 'exempt' OR tax_exempt_certificate IS NOT NULL),
  ADD CONSTRAINT customers_reverse_charge_has_tax_id CHECK (tax_status <> 'reverse_charge' OR billing_tax_id IS NOT NULL);

-- billing:write: who sets the customer's billing details (admins and the billing role); the
-- matrix in worker/auth/permissions.ts mirrors this table.
INSERT INTO role_permissions (role, permission) VALUES ('admin', 'billing:write'), ('billing', 'billing:write');

-- Drizzle names every column in an INSERT (onboarding); UPDATE: the billing details (customer
-- admins and staff) and the tax status (staff only, guarded below).
GRANT INSERT (billing_name, billing_email, billing_address_line1, billing_address_line2, billing_city, billing_region,
              billing_postal_code, billing_country, billing_tax_id, tax_status, tax_exempt_certificate)
  ON customers TO sb_api;
GRANT UPDATE (billing_name, billing_email, billing_address_line1, billing_address_line2, billing_city, billing_region,
              billing_postal_code, billing_country, billing_tax_id, tax_status, tax_exempt_certificate)
  ON customers TO sb_api;
CREATE TRIGGER customers_tax_status_staff_only BEFORE INSERT OR UPDATE ON customers
  FOR EACH ROW EXECUTE FUNCTION app.refuse_unless_staff('tax_status', 'tax_exempt_certificate');

-- What applied when the invoice was issued, so a later change of the customer's details or tax
-- status never rewrites an issued invoice: the tax status, the sentence the document prints when
-- no tax is charged, and the billed party as it stood (name, email, address, tax id).
ALTER TABLE invoices
  ADD COLUMN tax_status      text CHECK (tax_status IN ('taxable', 'exempt', 'reverse_charge')),
  ADD COLUMN tax_note        text,
  ADD COLUMN billing_details jsonb CHECK (jsonb_typeof(billing_details) = 'object');

-- Filled once per INSERT statement, set-based, for the rows it inserted (a transition table),
-- from their customers' rows, whoever inserts them (the monthly run's app.issue_invoices,
-- fixtures): app.issue_invoices itself stays as it is. Set-based because a row trigger cost the
-- billing run a query per invoice (dev/bench/billing.ts: 10,000 customers took ~12 s longer).
CREATE FUNCTION app.snapshot_invoice_billing() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
  UPDATE invoices i
  SET tax_status = c.tax_status,
      tax_note = app.tax_note(c.tax_status, c.tax_exempt_certificate, c.billing_tax_id),
      billing_details = jsonb_strip_nulls(jsonb_build_object(
        'name', coalesce(c.billing_name, c.name), 'email', coalesce(c.billing_email, c.email),
        'address_line1', c.billing_address_line1, 'address_line2', c.billing_address_line2, 'city', c.billing_city,
        'region', c.billing_region, 'postal_code', c.billing_postal_code, 'country', c.billing_country,
        'tax_id', c.billing_tax_id))
  FROM issued n JOIN customers c ON c.id = n.customer_id
  WHERE i.customer_id = n.customer_id AND i.id = n.id AND n.tax_status IS NULL;
  RETURN NULL;
END
$$;

-- The one wording of why no tax is charged: the tax line (app.billing_lines) and the invoice's
-- tax_note both use it. NULL for taxable.
CREATE FUNCTION app.tax_note(p_status text, p_certificate text, p_tax_id text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE p_status
    WHEN 'exempt' THEN 'Exempt — certificate ' || p_certificate
    WHEN 'reverse_charge' THEN 'Reverse charge: VAT to be accounted for by the recipient (tax id ' || p_tax_id || ')'
  END
$$;

CREATE TRIGGER invoices_snapshot_billing AFTER INSERT ON invoices
  REFERENCING NEW TABLE AS issued FOR EACH STATEMENT EXECUTE FUNCTION app.snapshot_invoice_billing();

-- app.billing_lines (0012) again, with one change: the tax line. Taxable customers: as before
-- ("Tax (8.00%)", rounded half-up on the discounted subtotal). Exempt and reverse-charge
-- customers: a zero tax line whose description is the reason (app.tax_note).
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
    SELECT c.id, c.tier, c.tax_rate_bps, tf.base_price_cents,
           app.tax_note(c.tax_status, c.tax_exempt_certificate, c.billing_tax_id) AS tax_note
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

SELECT app.install_function('app.tax_note(text, text, text)', current_user, ARRAY['sb_api', 'sb_analytics', 'sb_jobs']::name[]);
SELECT app.install_function('app.snapshot_invoice_billing()', current_user, ARRAY[]::name[]);
SELECT app.install_function('app.billing_lines(date, uuid[])', current_user,
                            ARRAY['sb_api', 'sb_analytics', 'sb_jobs']::name[]);
