-- Money that settles (docs/billing.md, "Settlement"): an issued invoice is paid (by staff or a
-- signed payment provider), voided, marked uncollectible or credited. Every change of money goes
-- through a SECURITY DEFINER function owned by sb_jobs that locks the invoice row first, checks the
-- caller's authority from the signed context, and filters by the context's customer itself (sb_jobs'
-- policies are not tenant-bound). The request role only reads the new tables.

-- 1. Invoices: the uncollectible state, how much is paid, credited and covered by a credit
-- balance, and the amount still due (derived, so it can never disagree with its parts).
ALTER TABLE invoices DROP CONSTRAINT invoices_status_check;
ALTER TABLE invoices ADD CONSTRAINT invoices_status_check
  CHECK (status IN ('draft', 'open', 'paid', 'void', 'uncollectible'));
ALTER TABLE invoices
  ADD COLUMN amount_paid_cents     bigint NOT NULL DEFAULT 0 CHECK (amount_paid_cents >= 0),
  ADD COLUMN amount_credited_cents bigint NOT NULL DEFAULT 0 CHECK (amount_credited_cents >= 0),
  ADD COLUMN balance_applied_cents bigint NOT NULL DEFAULT 0 CHECK (balance_applied_cents >= 0),
  ADD COLUMN voided_at             timestamptz,
  ADD COLUMN marked_uncollectible_at timestamptz,
  ADD COLUMN status_reason         text CHECK (length(status_reason) <= 500),
  ADD CONSTRAINT invoices_settled_within_total
    CHECK (amount_paid_cents + amount_credited_cents + balance_applied_cents <= total_cents);
-- Kept by the trigger below and held to its definition by a CHECK (a stored column rather than a
-- generated one: every column of a row stays insertable, as the isolation suite's copies need).
ALTER TABLE invoices ADD COLUMN amount_due_cents bigint NOT NULL DEFAULT 0;
-- Invoices recorded as paid before settlement existed (fixtures, imports) were paid in full.
UPDATE invoices SET amount_paid_cents = total_cents WHERE status = 'paid';
UPDATE invoices SET amount_due_cents = CASE WHEN status = 'void' THEN 0
  ELSE total_cents - amount_paid_cents - amount_credited_cents - balance_applied_cents END;
ALTER TABLE invoices ADD CONSTRAINT invoices_amount_due CHECK (amount_due_cents = CASE WHEN status = 'void' THEN 0
  ELSE total_cents - amount_paid_cents - amount_credited_cents - balance_applied_cents END);

-- 2. Payment terms per customer (net 30 unless staff agree otherwise).
ALTER TABLE customers ADD COLUMN payment_terms_days integer NOT NULL DEFAULT 30
  CHECK (payment_terms_days BETWEEN 0 AND 365);
GRANT INSERT (payment_terms_days) ON customers TO sb_api;
GRANT UPDATE (payment_terms_days) ON customers TO sb_api;
-- Commercial, like the tier: only a staff context changes it (its own trigger, so the 0070 one
-- stays as it is).
CREATE TRIGGER customers_terms_staff_only BEFORE INSERT OR UPDATE ON customers
  FOR EACH ROW EXECUTE FUNCTION app.refuse_unless_staff('payment_terms_days');

-- 3. Payments and the provider events that reported them (each provider event applied once).
CREATE TABLE provider_events (
  id          text PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 255),
  customer_id uuid NOT NULL REFERENCES customers (id) ON DELETE RESTRICT,
  type        text NOT NULL CHECK (length(type) BETWEEN 1 AND 100),
  payload     jsonb NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX provider_events_customer_idx ON provider_events (customer_id, received_at);
SELECT app.secure_tenant_table('provider_events');
SELECT app.grant_jobs_access('provider_events', ARRAY['SELECT', 'INSERT']);
GRANT SELECT ON provider_events TO sb_api;

CREATE TABLE payments (
  id                uuid PRIMARY KEY DEFAULT app.uuid_v7(),
  customer_id       uuid NOT NULL,
  invoice_id        uuid NOT NULL,
  amount_cents      bigint NOT NULL CHECK (amount_cents > 0),
  method            text NOT NULL CHECK (method IN ('wire', 'ach', 'card', 'check', 'other')),
  reference         text CHECK (length(reference) <= 200),
  received_at       timestamptz NOT NULL,
  source            text NOT NULL CHECK (source IN ('staff', 'provider')),
  provider_event_id text REFERENCES provider_events (id),
  created_at        timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (customer_id, invoice_id) REFERENCES invoices (customer_id, id) ON DELETE RESTRICT,
  CHECK ((source = 'provider') = (provider_event_id IS NOT NULL))
);
CREATE INDEX payments_customer_idx ON payments (customer_id, invoice_id, id);
SELECT app.secure_tenant_table('payments');
SELECT app.grant_jobs_access('payments', ARRAY['SELECT', 'INSERT']);
GRANT SELECT ON payments TO sb_api;
GRANT SELECT ON payments TO sb_analytics;

-- 4. Credit notes: gap-free numbers of their own per year (SB-CN-YYYY-NNNNNN), the part that
-- reduced the invoice's amount due and the part that went to the customer's credit balance.
CREATE TABLE credit_note_number_sequences (
  year       integer PRIMARY KEY,
  last_value bigint NOT NULL DEFAULT 0
);
GRANT SELECT, INSERT, UPDATE ON credit_note_number_sequences TO sb_jobs;

CREATE TABLE credit_notes (
  id                   uuid PRIMARY KEY DEFAULT app.uuid_v7(),
  customer_id          uuid NOT NULL,
  invoice_id           uuid NOT NULL,
  number               text NOT NULL UNIQUE,
  reason               text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
  amount_cents         bigint NOT NULL CHECK (amount_cents > 0),
  applied_cents        bigint NOT NULL CHECK (applied_cents >= 0),
  to_balance_cents     bigint NOT NULL CHECK (to_balance_cents >= 0),
  -- [{line_id, description, amount_cents}] when credited line by line, else [].
  lines                jsonb NOT NULL DEFAULT '[]',
  created_by           text NOT NULL,
  created_at           timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (customer_id, invoice_id) REFERENCES invoices (customer_id, id) ON DELETE RESTRICT,
  UNIQUE (customer_id, id),
  CHECK (applied_cents + to_balance_cents = amount_cents)
);
CREATE INDEX credit_notes_customer_idx ON credit_notes (customer_id, id DESC);
SELECT app.secure_tenant_table('credit_notes');
SELECT app.grant_jobs_access('credit_notes', ARRAY['SELECT', 'INSERT']);
GRANT SELECT ON credit_notes TO sb_api;
GRANT SELECT ON credit_notes TO sb_analytics;

-- The credit a customer holds (credit notes beyond what was due); the next invoice consumes it.
CREATE TABLE customer_credit_balances (
  customer_id   uuid PRIMARY KEY REFERENCES customers (id) ON DELETE CASCADE,
  balance_cents bigint NOT NULL DEFAULT 0 CHECK (balance_cents >= 0),
  updated_at    timestamptz NOT NULL DEFAULT now()
);
SELECT app.secure_tenant_table('customer_credit_balances');
SELECT app.grant_jobs_access('customer_credit_balances', ARRAY['SELECT', 'INSERT', 'UPDATE']);
GRANT SELECT ON customer_credit_balances TO sb_api;

-- 5. On issue (any path that inserts an open invoice: the billing run's app.issue_invoices, so it
-- is not replaced here): due date from the customer's payment terms, and the credit balance
-- consumed up to the total. An invoice the balance covers in full is paid at once. On every
-- insert and update, the amount due follows its parts.
CREATE FUNCTION app.invoice_amount_due() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
  NEW.amount_due_cents := CASE WHEN NEW.status = 'void' THEN 0
    ELSE NEW.total_cents - NEW.amount_paid_cents - NEW.amount_credited_cents - NEW.balance_applied_cents END;
  RETURN NEW;
END
$$;
-- Triggers fire in name order: settle first, then the amount due.
CREATE TRIGGER invoices_zz_amount_due BEFORE INSERT OR UPDATE ON invoices
  FOR EACH ROW EXECUTE FUNCTION app.invoice_amount_due();
SELECT app.install_function('app.invoice_amount_due()', current_user, ARRAY[]::name[]);

CREATE FUNCTION app.settle_on_issue() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  v_terms integer;
  v_balance bigint;
  v_applied bigint;
BEGIN
  IF NEW.status = 'paid' AND NEW.amount_paid_cents = 0 THEN
    NEW.amount_paid_cents := NEW.total_cents; -- recorded as already paid (imports, fixtures)
  END IF;
  IF NEW.status <> 'open' THEN
    RETURN NEW;
  END IF;
  SELECT payment_terms_days INTO v_terms FROM customers WHERE id = NEW.customer_id;
  IF NEW.issued_at IS NOT NULL AND v_terms IS NOT NULL THEN
    NEW.due_at := NEW.issued_at + make_interval(days => v_terms);
  END IF;
  SELECT balance_cents INTO v_balance FROM customer_credit_balances
  WHERE customer_id = NEW.customer_id AND balance_cents > 0 FOR UPDATE;
  IF v_balance IS NULL OR NEW.total_cents = 0 THEN
    RETURN NEW;
  END IF;
  v_applied := least(v_balance, NEW.total_cents - NEW.amount_paid_cents - NEW.amount_credited_cents);
  UPDATE customer_credit_balances SET balance_cents = balance_cents - v_applied, updated_at = now()
  WHERE customer_id = NEW.customer_id;
  NEW.balance_applied_cents := v_applied;
  IF v_applied = NEW.total_cents THEN
    NEW.status := 'paid';
    NEW.paid_at := now();
    INSERT INTO outbox_events (customer_id, type, payload)
    VALUES (NEW.customer_id, 'invoice.paid',
            jsonb_build_object('id', NEW.id, 'number', NEW.number, 'total_cents', NEW.total_cents,
                               'amount_paid_cents', 0, 'balance_applied_cents', v_applied,
                               'paid_at', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                               'currency', NEW.currency));
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER invoices_settle_on_issue BEFORE INSERT ON invoices
  FOR EACH ROW EXECUTE FUNCTION app.settle_on_issue();
SELECT app.install_function('app.settle_on_issue()', current_user, ARRAY[]::name[]);

-- 6. The settlement functions. Errors carry SQLSTATEs the Worker maps to problems
-- (worker/invoices/settlement.ts): SB404 no such invoice, SB409 refused in this state,
-- SB422 an amount out of bounds (HINT names the field).
CREATE FUNCTION app.lock_invoice(p_invoice uuid) RETURNS invoices
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  v invoices;
BEGIN
  SELECT * INTO v FROM invoices WHERE id = p_invoice AND customer_id = app.current_customer_id() FOR UPDATE;
  IF v.id IS NULL THEN
    RAISE EXCEPTION 'No invoice with id %.', p_invoice USING ERRCODE = 'SB404';
  END IF;
  RETURN v;
END
$$;

-- A payment (staff: a super-admin context; a provider: the Worker-verified `payment_provider`
-- context with the provider event, stored once: a replay returns {"duplicate": true}).
CREATE FUNCTION app.record_invoice_payment(p_invoice uuid, p_amount bigint, p_method text, p_reference text,
                                           p_received_at timestamptz, p_provider_event text, p_event_type text,
                                           p_payload jsonb) RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  v invoices;
  v_payment uuid;
  v_new_event integer;
BEGIN
  IF NOT (app.is_super_admin() OR (app.current_role() = 'payment_provider' AND p_provider_event IS NOT NULL)) THEN
    RAISE EXCEPTION 'recording a payment needs SecureBase staff or the payment provider' USING ERRCODE = '42501';
  END IF;
  IF p_provider_event IS NOT NULL THEN
    INSERT INTO provider_events (id, customer_id, type, payload)
    VALUES (p_provider_event, app.current_customer_id(), p_event_type, p_payload)
    ON CONFLICT (id) DO NOTHING;
    GET DIAGNOSTICS v_new_event = ROW_COUNT;
    IF v_new_event = 0 THEN
      RETURN jsonb_build_object('duplicate', true);
    END IF;
  END IF;
  v := app.lock_invoice(p_invoice);
  IF v.status NOT IN ('open', 'uncollectible') THEN
    RAISE EXCEPTION 'Invoice % is %; only an open or uncollectible invoice can be paid.', v.number, v.status
      USING ERRCODE = 'SB409';
  END IF;
  IF p_amount > v.amount_due_cents THEN
    RAISE EXCEPTION 'must not exceed the amount due (% cents)', v.amount_due_cents
      USING ERRCODE = 'SB422', HINT = 'amount_cents';
  END IF;
  INSERT INTO payments (customer_id, invoice_id, amount_cents, method, reference, received_at, source, provider_event_id)
  VALUES (v.customer_id, v.id, p_amount, p_method, p_reference, p_received_at,
          CASE WHEN p_provider_event IS NULL THEN 'staff' ELSE 'provider' END, p_provider_event)
  RETURNING id INTO v_payment;
  UPDATE invoices SET amount_paid_cents = amount_paid_cents + p_amount,
         status = CASE WHEN amount_due_cents = p_amount THEN 'paid' ELSE status END,
         paid_at = CASE WHEN amount_due_cents = p_amount THEN now() ELSE paid_at END
  WHERE id = v.id;
  RETURN jsonb_build_object('payment_id', v_payment, 'paid', v.amount_due_cents = p_amount, 'duplicate', false);
END
$$;

-- Void: open or uncollectible, and no money received (credit or refund it first). A credit
-- balance it consumed goes back to the customer.
CREATE FUNCTION app.void_invoice(p_invoice uuid, p_reason text) RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  v invoices;
BEGIN
  IF NOT app.is_super_admin() THEN
    RAISE EXCEPTION 'voiding an invoice needs SecureBase staff' USING ERRCODE = '42501';
  END IF;
  v := app.lock_invoice(p_invoice);
  IF v.status NOT IN ('open', 'uncollectible') THEN
    RAISE EXCEPTION 'Invoice % is %; only an open or uncollectible invoice can be voided.', v.number, v.status
      USING ERRCODE = 'SB409';
  END IF;
  IF v.amount_paid_cents > 0 THEN
    RAISE EXCEPTION 'Invoice % has payments (% cents); credit it instead of voiding.', v.number, v.amount_paid_cents
      USING ERRCODE = 'SB409';
  END IF;
  IF v.balance_applied_cents > 0 THEN
    UPDATE customer_credit_balances SET balance_cents = balance_cents + v.balance_applied_cents, updated_at = now()
    WHERE customer_id = v.customer_id;
  END IF;
  UPDATE invoices SET status = 'void', voided_at = now(), status_reason = p_reason, balance_applied_cents = 0
  WHERE id = v.id;
  RETURN jsonb_build_object('returned_to_balance_cents', v.balance_applied_cents);
END
$$;

CREATE FUNCTION app.mark_invoice_uncollectible(p_invoice uuid, p_reason text) RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  v invoices;
BEGIN
  IF NOT app.is_super_admin() THEN
    RAISE EXCEPTION 'marking an invoice uncollectible needs SecureBase staff' USING ERRCODE = '42501';
  END IF;
  v := app.lock_invoice(p_invoice);
  IF v.status <> 'open' THEN
    RAISE EXCEPTION 'Invoice % is %; only an open invoice can be marked uncollectible.', v.number, v.status
      USING ERRCODE = 'SB409';
  END IF;
  UPDATE invoices SET status = 'uncollectible', marked_uncollectible_at = now(), status_reason = p_reason
  WHERE id = v.id;
  RETURN '{}'::jsonb;
END
$$;

-- A credit note: an amount, or lines ([{line_id, amount_cents}], each at most what is left of
-- that line). Never more than the invoice's total in credit notes overall; the part beyond the
-- amount due goes to the customer's credit balance. An open invoice credited to zero is paid.
CREATE FUNCTION app.issue_credit_note(p_invoice uuid, p_reason text, p_amount bigint, p_lines jsonb,
                                      p_created_by text) RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  v invoices;
  v_lines jsonb := '[]';
  v_amount bigint := p_amount;
  v_credited bigint;
  v_applied bigint;
  v_year integer := extract(year FROM now() AT TIME ZONE 'UTC')::integer;
  v_seq bigint;
  v_number text;
  v_id uuid;
  v_bad integer;
BEGIN
  IF NOT app.is_super_admin() THEN
    RAISE EXCEPTION 'issuing a credit note needs SecureBase staff' USING ERRCODE = '42501';
  END IF;
  v := app.lock_invoice(p_invoice);
  IF v.status NOT IN ('open', 'paid', 'uncollectible') THEN
    RAISE EXCEPTION 'Invoice % is %; a % invoice cannot be credited.', v.number, v.status, v.status
      USING ERRCODE = 'SB409';
  END IF;
  IF p_lines IS NOT NULL THEN
    -- Each line: one of this invoice's positive lines, credited at most to what is left of it.
    SELECT l.ord - 1 INTO v_bad
    FROM jsonb_array_elements(p_lines) WITH ORDINALITY AS l(item, ord)
    LEFT JOIN invoice_line_items li ON li.id = (l.item->>'line_id')::uuid AND li.invoice_id = v.id
                                   AND li.customer_id = v.customer_id
    WHERE li.id IS NULL OR li.amount_cents <= 0
       OR (l.item->>'amount_cents')::bigint > li.amount_cents - coalesce((
            SELECT sum((x->>'amount_cents')::bigint) FROM credit_notes cn, jsonb_array_elements(cn.lines) x
            WHERE cn.invoice_id = v.id AND cn.customer_id = v.customer_id AND x->>'line_id' = li.id::text), 0)
    ORDER BY l.ord LIMIT 1;
    IF v_bad IS NOT NULL THEN
      RAISE EXCEPTION 'must name a line of this invoice and credit at most what is left of it'
        USING ERRCODE = 'SB422', HINT = 'lines.' || v_bad;
    END IF;
    SELECT coalesce(jsonb_agg(jsonb_build_object('line_id', li.id, 'description', li.description,
                                                 'amount_cents', (l.item->>'amount_cents')::bigint) ORDER BY l.ord), '[]'),
           coalesce(sum((l.item->>'amount_cents')::bigint), 0)
      INTO v_lines, v_amount
    FROM jsonb_array_elements(p_lines) WITH ORDINALITY AS l(item, ord)
    JOIN invoice_line_items li ON li.id = (l.item->>'line_id')::uuid;
  END IF;
  SELECT coalesce(sum(amount_cents), 0) INTO v_credited FROM credit_notes
  WHERE invoice_id = v.id AND customer_id = v.customer_id;
  IF v_credited + v_amount > v.total_cents THEN
    RAISE EXCEPTION 'must not take credit notes beyond the invoice total (% cents; % already credited)',
      v.total_cents, v_credited USING ERRCODE = 'SB422', HINT = 'amount_cents';
  END IF;
  v_applied := least(v_amount, v.amount_due_cents);
  IF v.status = 'paid' THEN
    v_applied := 0;
  END IF;

  INSERT INTO credit_note_number_sequences (year) VALUES (v_year) ON CONFLICT (year) DO NOTHING;
  UPDATE credit_note_number_sequences SET last_value = last_value + 1 WHERE year = v_year RETURNING last_value INTO v_seq;
  v_number := 'SB-CN-' || v_year || '-' || lpad(v_seq::text, greatest(6, length(v_seq::text)), '0');

  INSERT INTO credit_notes (customer_id, invoice_id, number, reason, amount_cents, applied_cents, to_balance_cents,
                            lines, created_by)
  VALUES (v.customer_id, v.id, v_number, p_reason, v_amount, v_applied, v_amount - v_applied, v_lines, p_created_by)
  RETURNING id INTO v_id;
  IF v_amount > v_applied THEN
    INSERT INTO customer_credit_balances (customer_id, balance_cents) VALUES (v.customer_id, v_amount - v_applied)
    ON CONFLICT (customer_id) DO UPDATE
      SET balance_cents = customer_credit_balances.balance_cents + excluded.balance_cents, updated_at = now();
  END IF;
  UPDATE invoices SET amount_credited_cents = amount_credited_cents + v_applied,
         status = CASE WHEN status = 'open' AND amount_due_cents = v_applied THEN 'paid' ELSE status END,
         paid_at = CASE WHEN status = 'open' AND amount_due_cents = v_applied THEN now() ELSE paid_at END
  WHERE id = v.id;
  RETURN jsonb_build_object('credit_note_id', v_id,
                            'paid', v.status = 'open' AND v.amount_due_cents = v_applied);
END
$$;

-- Staff routes and the provider webhook know an invoice by id or number, not its customer: this
-- names the customer, so the change runs in that customer's signed context. The Worker calls it
-- only after checking staff authority or the provider's signature.
CREATE FUNCTION app.find_invoice_customer(p_invoice uuid, p_number text)
RETURNS TABLE (invoice_id uuid, customer_id uuid)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
  SELECT i.id, i.customer_id FROM invoices i
  WHERE (p_invoice IS NOT NULL AND i.id = p_invoice) OR (p_invoice IS NULL AND i.number = p_number)
  LIMIT 1
$$;

SELECT app.install_function('app.lock_invoice(uuid)', 'sb_jobs', ARRAY[]::name[]);
SELECT app.install_function('app.record_invoice_payment(uuid, bigint, text, text, timestamptz, text, text, jsonb)',
                            'sb_jobs', ARRAY['sb_api']::name[]);
SELECT app.install_function('app.void_invoice(uuid, text)', 'sb_jobs', ARRAY['sb_api']::name[]);
SELECT app.install_function('app.mark_invoice_uncollectible(uuid, text)', 'sb_jobs', ARRAY['sb_api']::name[]);
SELECT app.install_function('app.issue_credit_note(uuid, text, bigint, jsonb, text)', 'sb_jobs', ARRAY['sb_api']::name[]);
SELECT app.install_function('app.find_invoice_customer(uuid, text)', 'sb_jobs', ARRAY['sb_api']::name[]);
