-- Dunning suspension (docs/billing.md, "Suspension"): when a settlement clears a customer's
-- past-due mark, the clearing is audited in the same transaction (`customer.past_due_cleared`,
-- actor system `dunning`), whatever path settled (staff payment, void, uncollectible, credit
-- note, provider webhook). Under DUNNING_SUSPEND_AT=past_due it is the reinstatement's record;
-- the suspension's is the job's `customer.past_due`.
SELECT app.reclaim_function('app.clear_past_due()');
CREATE OR REPLACE FUNCTION app.clear_past_due() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  v_since timestamptz;
BEGIN
  UPDATE customers c SET past_due_since = NULL
  FROM (SELECT past_due_since FROM customers WHERE id = NEW.customer_id) before
  WHERE c.id = NEW.customer_id AND c.past_due_since IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM invoices i
                    WHERE i.customer_id = NEW.customer_id AND i.status = 'open' AND i.amount_due_cents > 0
                      AND i.due_at <= now() - interval '30 days')
  RETURNING before.past_due_since INTO v_since;
  IF v_since IS NOT NULL THEN
    INSERT INTO audit_events (customer_id, seq, actor_type, actor_id, action, resource_type, resource_id, summary,
                              data, prev_hash, hash)
    VALUES (NEW.customer_id, 0, 'system', 'dunning', 'customer.past_due_cleared', 'customer', NEW.customer_id::text,
            'Past due cleared: invoice ' || NEW.number || ' is now ' || NEW.status
              || CASE WHEN NEW.status = 'open' THEN ' with nothing due' ELSE '' END
              || ' and no invoice is 30 or more days late; any dunning suspension is lifted',
            jsonb_build_object('invoice_id', NEW.id, 'number', NEW.number, 'invoice_status', NEW.status,
                               'past_due_since', v_since),
            '\x'::bytea, '\x'::bytea);
  END IF;
  RETURN NULL;
END
$$;
SELECT app.install_function('app.clear_past_due()', 'sb_jobs', ARRAY[]::name[]);
