-- Support desk (issue 11): what the ticket needs beyond 0009 — category and a related resource,
-- one breach mark per SLA clock (so the sweep marks and emits each breach exactly once), the
-- paused resolution clock, staff access across customers, and the purge by the daily sweep.
--
-- SLA clocks (the numbers are sla_policies, tier x priority, hours; see README "Support"):
-- - first response: due at created_at + first_response_hours; met by the first staff reply
--   (first_responded_at) at or before the deadline.
-- - resolution: due at created_at + resolution_hours, pushed back by every period spent in
--   waiting_on_customer (resolution_paused_at) or resolved before a reopen; met when resolved
--   at or before the (pushed back) deadline.

ALTER TABLE support_tickets
  ADD COLUMN category                   text CHECK (category IN ('billing', 'technical', 'account', 'security', 'compliance', 'other')),
  ADD COLUMN related_resource_type      text CHECK (related_resource_type IN ('invoice', 'account')),
  ADD COLUMN related_resource_id        uuid,
  -- The tier whose SLA applies (the customer's tier when the ticket was opened).
  ADD COLUMN sla_tier                   text REFERENCES tier_features (tier),
  ADD COLUMN resolution_paused_at       timestamptz,
  ADD COLUMN first_response_breached_at timestamptz,
  ADD COLUMN resolution_breached_at     timestamptz,
  ADD COLUMN reopened_at                timestamptz,
  ADD CONSTRAINT support_tickets_related_both CHECK ((related_resource_type IS NULL) = (related_resource_id IS NULL)),
  ADD CONSTRAINT support_tickets_paused_only_waiting CHECK (resolution_paused_at IS NULL OR status = 'waiting_on_customer');

-- The sweep's candidates: open clocks only.
CREATE INDEX support_tickets_first_response_sweep_idx ON support_tickets (first_response_due_at)
  WHERE first_responded_at IS NULL AND first_response_breached_at IS NULL AND status NOT IN ('resolved', 'closed');
CREATE INDEX support_tickets_resolution_sweep_idx ON support_tickets (resolution_due_at)
  WHERE resolution_breached_at IS NULL AND status IN ('open', 'in_progress');
-- The daily purge: tickets closed more than 90 days ago.
CREATE INDEX support_tickets_closed_idx ON support_tickets (closed_at) WHERE status = 'closed';

-- SecureBase staff (a super-admin context, signed like every context) read tickets and comments
-- of every customer for the staff queue. Writes keep the tenant policies: staff write with the
-- ticket's customer as the context's customer, so the audit lands in that customer's chain.
CREATE POLICY support_tickets_staff_select ON support_tickets FOR SELECT USING ((SELECT app.is_super_admin()));
CREATE POLICY ticket_comments_staff_select ON ticket_comments FOR SELECT USING ((SELECT app.is_super_admin()));
-- Only a staff context may write an internal note (the SELECT side is 0009's restrictive policy).
CREATE POLICY ticket_comments_internal_insert_staff_only ON ticket_comments AS RESTRICTIVE FOR INSERT
  WITH CHECK (NOT internal OR (SELECT app.is_super_admin()));

-- Staff assignees are users of the platform's own customer; a staff route checks the id names
-- one before assigning (sb_api cannot read another tenant's users).
CREATE FUNCTION app.staff_member(p_user_id uuid)
RETURNS TABLE (user_id uuid, name text, email text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
  SELECT u.id, u.name, u.email FROM users u
  WHERE u.id = p_user_id AND u.platform_role = 'super_admin' AND u.status = 'active' AND app.is_super_admin()
$$;
SELECT app.hand_function_to('app.staff_member(uuid)', 'sb_auth');
REVOKE ALL ON FUNCTION app.staff_member(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.staff_member(uuid) TO sb_api;
