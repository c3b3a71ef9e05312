-- Dunning (docs/billing.md, "Dunning"): the daily job reminds a customer's billing users of an
-- open invoice 1, 7 and 14 days after its due date, and at 30 days marks the customer past due.
-- Each reminder is a row keyed by (invoice, stage): the job inserts it with ON CONFLICT DO NOTHING
-- and sends only for the rows it inserted, so a re-run or two overlapping runs send nothing twice.

-- 1. The customer's past-due mark: when it was set (NULL: not past due). Set by the jobs role,
-- cleared by the settlement trigger below; never updated by the request role. Its INSERT
-- privilege is there because drizzle names every column in an INSERT (DEFAULT for those not
-- given): onboarding (staff only) writes DEFAULT, i.e. NULL, and the API accepts no such field.
ALTER TABLE customers ADD COLUMN past_due_since timestamptz;
GRANT INSERT (past_due_since) ON customers TO sb_api;
GRANT UPDATE (past_due_since) ON customers TO sb_jobs;
CREATE POLICY customers_jobs_update ON customers FOR UPDATE TO sb_jobs USING (true);

-- 2. The reminders sent (and the day-30 mark), one row per invoice and stage.
CREATE TABLE dunning_reminders (
  customer_id   uuid NOT NULL,
  invoice_id    uuid NOT NULL,
  stage         text NOT NULL CHECK (stage IN ('day_1', 'day_7', 'day_14', 'day_30')),
  days_past_due integer NOT NULL CHECK (days_past_due >= 0),
  sent_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (invoice_id, stage),
  FOREIGN KEY (customer_id, invoice_id) REFERENCES invoices (customer_id, id) ON DELETE RESTRICT
);
CREATE INDEX dunning_reminders_customer_idx ON dunning_reminders (customer_id, invoice_id);
SELECT app.secure_tenant_table('dunning_reminders');
SELECT app.grant_jobs_access('dunning_reminders', ARRAY['SELECT', 'INSERT']);
GRANT SELECT ON dunning_reminders TO sb_api;

-- 3. Paying clears it, in the settlement's own transaction: when an open invoice stops being
-- open (paid, void, uncollectible) or its amount due reaches 0 (credited), the customer's mark
-- goes once no open invoice with money due is 30 or more days past its due date.
CREATE FUNCTION app.clear_past_due() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
  UPDATE customers SET past_due_since = NULL
  WHERE id = NEW.customer_id AND past_due_since IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM invoices i
                    WHERE i.customer_id = NEW.customer_id AND i.status = 'open' AND i.amount_due_cents > 0
                      AND i.due_at <= now() - interval '30 days');
  RETURN NULL;
END
$$;
CREATE TRIGGER invoices_clear_past_due AFTER UPDATE OF status, amount_due_cents ON invoices
  FOR EACH ROW WHEN (OLD.status = 'open' AND (NEW.status <> 'open' OR NEW.amount_due_cents = 0))
  EXECUTE FUNCTION app.clear_past_due();
SELECT app.install_function('app.clear_past_due()', 'sb_jobs', ARRAY[]::name[]);
