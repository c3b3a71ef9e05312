-- Events (SPEC §6): the outbox, idempotency keys, webhooks with every delivery attempt, and
-- notifications with per-user preferences.

-- Written in the same transaction as the change; published to the queue after commit; a sweep
-- re-publishes what was not, so no event is lost between the database and the queue.
CREATE TABLE outbox_events (
  id           uuid PRIMARY KEY DEFAULT app.uuid_v7(),
  customer_id  uuid NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
  type         text NOT NULL CHECK (type ~ '^[a-z_]+(\.[a-z_]+)+$'),
  payload      jsonb NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  published_at timestamptz,
  attempts     integer NOT NULL DEFAULT 0 CHECK (attempts >= 0)
);
CREATE INDEX outbox_events_customer_idx ON outbox_events (customer_id, id);
CREATE INDEX outbox_events_unpublished_idx ON outbox_events (created_at) WHERE published_at IS NULL;

-- Idempotency-Key: the first response is kept 24 h per customer and replayed.
CREATE TABLE idempotency_keys (
  customer_id   uuid NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
  key           text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
  method        text NOT NULL,
  path          text NOT NULL,
  request_hash  bytea NOT NULL CHECK (length(request_hash) = 32),
  status_code   integer CHECK (status_code BETWEEN 100 AND 599),
  response_body jsonb,
  response_headers jsonb,
  created_at    timestamptz NOT NULL DEFAULT now(),
  completed_at  timestamptz,
  expires_at    timestamptz NOT NULL DEFAULT now() + interval '24 hours',
  PRIMARY KEY (customer_id, key)
);
CREATE INDEX idempotency_keys_expiry_idx ON idempotency_keys (expires_at);

CREATE TABLE webhook_endpoints (
  id                uuid PRIMARY KEY DEFAULT app.uuid_v7(),
  customer_id       uuid NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
  url               text NOT NULL CHECK (url ~ '^https?://' AND length(url) <= 2048),
  description       text,
  event_types       text[] NOT NULL DEFAULT '{}',
  -- The signing secret (whsec_…) must be recoverable to sign deliveries, so it is encrypted
  -- (AES-GCM, key outside the database), not hashed. Rotation keeps the previous secret for a while.
  secret_ciphertext bytea NOT NULL,
  previous_secret_ciphertext bytea,
  previous_secret_expires_at timestamptz,
  status            text NOT NULL DEFAULT 'enabled' CHECK (status IN ('enabled', 'disabled')),
  disabled_reason   text,
  failing_since     timestamptz,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  UNIQUE (customer_id, id)
);
CREATE INDEX webhook_endpoints_customer_idx ON webhook_endpoints (customer_id, id);

CREATE TABLE webhook_deliveries (
  id              uuid PRIMARY KEY DEFAULT app.uuid_v7(),
  customer_id     uuid NOT NULL,
  endpoint_id     uuid NOT NULL,
  event_id        uuid NOT NULL,
  event_type      text NOT NULL,
  payload         jsonb NOT NULL,
  status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'failed', 'dead')),
  attempt_count   integer NOT NULL DEFAULT 0 CHECK (attempt_count >= 0),
  next_attempt_at timestamptz,
  last_status_code integer,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (endpoint_id, event_id),
  UNIQUE (customer_id, id),
  FOREIGN KEY (customer_id, endpoint_id) REFERENCES webhook_endpoints (customer_id, id) ON DELETE CASCADE
);
CREATE INDEX webhook_deliveries_customer_idx ON webhook_deliveries (customer_id, endpoint_id, id DESC);
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at) WHERE status IN ('pending', 'failed');

CREATE TABLE webhook_delivery_attempts (
  id               uuid PRIMARY KEY DEFAULT app.uuid_v7(),
  customer_id      uuid NOT NULL,
  delivery_id      uuid NOT NULL,
  attempt_number   integer NOT NULL CHECK (attempt_number >= 1),
  status_code      integer,
  latency_ms       integer CHECK (latency_ms >= 0),
  response_excerpt text CHECK (length(response_excerpt) <= 1024),
  error            text,
  attempted_at     timestamptz NOT NULL DEFAULT now(),
  UNIQUE (delivery_id, attempt_number),
  FOREIGN KEY (customer_id, delivery_id) REFERENCES webhook_deliveries (customer_id, id) ON DELETE CASCADE
);
CREATE INDEX webhook_delivery_attempts_customer_idx ON webhook_delivery_attempts (customer_id, delivery_id);

CREATE TABLE notifications (
  id          uuid PRIMARY KEY DEFAULT app.uuid_v7(),
  customer_id uuid NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
  -- NULL: for every user of the customer.
  user_id     uuid,
  category    text NOT NULL CHECK (category IN ('notifications', 'support', 'webhooks', 'cost_alerts', 'billing', 'security')),
  event_type  text NOT NULL,
  title       text NOT NULL,
  body        text NOT NULL,
  read_at     timestamptz,
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL DEFAULT now() + interval '30 days',
  FOREIGN KEY (customer_id, user_id) REFERENCES users (customer_id, id) ON DELETE CASCADE
);
CREATE INDEX notifications_customer_idx ON notifications (customer_id, user_id, id DESC);
CREATE INDEX notifications_expiry_idx ON notifications (expires_at);

CREATE TABLE notification_preferences (
  customer_id uuid NOT NULL,
  user_id     uuid NOT NULL,
  channel     text NOT NULL CHECK (channel IN ('in_app', 'email')),
  event_type  text NOT NULL,
  enabled     boolean NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (customer_id, user_id, channel, event_type),
  FOREIGN KEY (customer_id, user_id) REFERENCES users (customer_id, id) ON DELETE CASCADE
);

SELECT app.secure_tenant_table('outbox_events');
SELECT app.secure_tenant_table('idempotency_keys');
SELECT app.secure_tenant_table('webhook_endpoints');
SELECT app.secure_tenant_table('webhook_deliveries');
SELECT app.secure_tenant_table('webhook_delivery_attempts');
SELECT app.secure_tenant_table('notifications');
SELECT app.secure_tenant_table('notification_preferences');

GRANT SELECT, INSERT ON outbox_events TO sb_api;
GRANT SELECT, INSERT, UPDATE, DELETE ON idempotency_keys TO sb_api;
GRANT SELECT, INSERT, UPDATE, DELETE ON webhook_endpoints TO sb_api;
GRANT SELECT, INSERT, UPDATE ON webhook_deliveries TO sb_api;
GRANT SELECT ON webhook_delivery_attempts TO sb_api;
GRANT SELECT, INSERT, UPDATE ON notifications TO sb_api;
GRANT SELECT, INSERT, UPDATE, DELETE ON notification_preferences TO sb_api;
GRANT SELECT ON outbox_events, webhook_endpoints, webhook_deliveries, webhook_delivery_attempts, notifications,
  notification_preferences TO sb_analytics;

SELECT app.grant_jobs_access('outbox_events', ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE']);
SELECT app.grant_jobs_access('idempotency_keys', ARRAY['DELETE']);
SELECT app.grant_jobs_access('webhook_endpoints', ARRAY['SELECT', 'UPDATE']);
SELECT app.grant_jobs_access('webhook_deliveries', ARRAY['SELECT', 'INSERT', 'UPDATE']);
SELECT app.grant_jobs_access('webhook_delivery_attempts', ARRAY['SELECT', 'INSERT']);
SELECT app.grant_jobs_access('notifications', ARRAY['SELECT', 'INSERT', 'DELETE']);
SELECT app.grant_jobs_access('notification_preferences', ARRAY['SELECT']);
SELECT app.grant_jobs_access('users', ARRAY['SELECT']);
