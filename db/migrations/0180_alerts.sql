-- Alerts that reach a person (docs/operations.md, "Alerts"). Platform tables like job_runs (0003):
-- no tenant data, no customer_id, no RLS; the jobs role writes them, the request role cannot
-- touch them. Staff read incidents only through app.platform_alerts(), which (like
-- app.platform_status() of 0030) is owned by sb_status and refuses any context but super_admin.

-- One row per incident: opened once when a rule's condition starts to hold for a key, kept open
-- (last_seen_at bumped, nothing re-sent) while it holds, resolved once when it clears.
CREATE TABLE alert_incidents (
  id           uuid PRIMARY KEY DEFAULT app.uuid_v7(),
  rule         text NOT NULL,
  key          text NOT NULL,
  opened_at    timestamptz NOT NULL DEFAULT now(),
  last_seen_at timestamptz NOT NULL DEFAULT now(),
  resolved_at  timestamptz,
  details      jsonb NOT NULL DEFAULT '{}',
  CHECK (resolved_at IS NULL OR resolved_at >= opened_at)
);
-- At most one open incident per rule and key: two evaluations racing cannot open it twice.
CREATE UNIQUE INDEX alert_incidents_open_idx ON alert_incidents (rule, key) WHERE resolved_at IS NULL;
CREATE INDEX alert_incidents_opened_idx ON alert_incidents (opened_at DESC);

-- The operations webhook's messages (opened / resolved), retried with backoff and recorded.
CREATE TABLE alert_deliveries (
  id              uuid PRIMARY KEY DEFAULT app.uuid_v7(),
  incident_id     uuid NOT NULL REFERENCES alert_incidents (id) ON DELETE CASCADE,
  kind            text NOT NULL CHECK (kind IN ('opened', 'resolved')),
  status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'dead')),
  attempts        integer NOT NULL DEFAULT 0,
  last_status     integer,
  last_error      text,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  created_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (incident_id, kind)
);
CREATE INDEX alert_deliveries_due_idx ON alert_deliveries (next_attempt_at) WHERE status = 'pending';

-- Messages the events queue gave up on (its dead-letter queue's consumer records each, then acks).
CREATE TABLE queue_dead_letters (
  id          uuid PRIMARY KEY DEFAULT app.uuid_v7(),
  queue       text NOT NULL,
  message_id  text NOT NULL,
  body        jsonb NOT NULL,
  attempts    integer NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (queue, message_id)
);
CREATE INDEX queue_dead_letters_received_idx ON queue_dead_letters (received_at);

GRANT SELECT, INSERT, UPDATE, DELETE ON alert_incidents, alert_deliveries, queue_dead_letters TO sb_jobs;
-- The alert job's other reads (job_runs, outbox_events, webhook_deliveries, support_tickets,
-- billing_runs, users) use the jobs role's earlier grants.

GRANT SELECT ON alert_incidents TO sb_status;
CREATE FUNCTION app.platform_alerts(p_state text, p_limit integer) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
  IF NOT coalesce(app.is_super_admin(), false) THEN
    RAISE EXCEPTION 'alerts are for SecureBase staff' USING ERRCODE = '42501';
  END IF;
  RETURN (
    SELECT coalesce(jsonb_agg(to_jsonb(i) ORDER BY i.opened_at DESC, i.id DESC), '[]'::jsonb)
    FROM (
      SELECT id, rule, key, opened_at, last_seen_at, resolved_at, details FROM alert_incidents
      WHERE p_state = 'all' OR (p_state = 'open' AND resolved_at IS NULL)
         OR (p_state = 'resolved' AND resolved_at IS NOT NULL)
      ORDER BY opened_at DESC, id DESC LIMIT least(greatest(p_limit, 1), 200)
    ) i
  );
END
$$;
SELECT app.install_function('app.platform_alerts(text,integer)', 'sb_status', ARRAY['sb_api']::name[]);
