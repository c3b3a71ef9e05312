-- Event delivery (issue 10): emails waiting for the SES API, and the endpoint's failure warning.

-- One row per email to send. The message is rendered when it is sent, from `data` (the event
-- payload without secrets); a secret it needs (an invite's accept link) is kept sealed
-- (AES-GCM, key outside the database) in `secret_ciphertext` and erased once the email is sent.
CREATE TABLE email_messages (
  id                uuid PRIMARY KEY DEFAULT app.uuid_v7(),
  customer_id       uuid NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
  event_id          uuid,
  event_type        text NOT NULL,
  -- NULL: not a portal user (an invitee).
  user_id           uuid,
  to_address        text NOT NULL CHECK (length(to_address) BETWEEN 3 AND 320),
  data              jsonb NOT NULL DEFAULT '{}',
  secret_ciphertext bytea,
  status            text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
  attempts          integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  next_attempt_at   timestamptz NOT NULL DEFAULT now(),
  last_error        text,
  provider_message_id text,
  sent_at           timestamptz,
  created_at        timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (customer_id, user_id) REFERENCES users (customer_id, id) ON DELETE CASCADE,
  CHECK (status <> 'sent' OR secret_ciphertext IS NULL)
);
CREATE INDEX email_messages_customer_idx ON email_messages (customer_id, id);
CREATE INDEX email_messages_due_idx ON email_messages (next_attempt_at) WHERE status = 'pending';
SELECT app.secure_tenant_table('email_messages');
GRANT SELECT ON email_messages TO sb_api, sb_analytics;
SELECT app.grant_jobs_access('email_messages', ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE']);

-- Set when the "disabled tomorrow" warning went out for the current failure streak.
ALTER TABLE webhook_endpoints ADD COLUMN failure_warning_sent_at timestamptz;

-- Delivery log filters and the recover query read deliveries by endpoint and status.
CREATE INDEX webhook_deliveries_endpoint_status_idx ON webhook_deliveries (customer_id, endpoint_id, status, id DESC);
-- The retention sweep deletes published outbox rows by age.
CREATE INDEX outbox_events_published_idx ON outbox_events (published_at) WHERE published_at IS NOT NULL;
-- Retention of attempts and deliveries follows the endpoint; jobs may delete old ones.
SELECT app.grant_jobs_access('webhook_deliveries', ARRAY['DELETE']);
