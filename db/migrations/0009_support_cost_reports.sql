-- Support tickets with SLA (seed 002), cost budgets and forecasts, analytics reports (seed 004).

-- SLA targets per tier and priority, in hours.
CREATE TABLE sla_policies (
  tier                 text NOT NULL REFERENCES tier_features (tier),
  priority             text NOT NULL CHECK (priority IN ('low', 'medium', 'high', 'critical')),
  first_response_hours integer NOT NULL CHECK (first_response_hours > 0),
  resolution_hours     integer NOT NULL CHECK (resolution_hours >= first_response_hours),
  PRIMARY KEY (tier, priority)
);
INSERT INTO sla_policies (tier, priority, first_response_hours, resolution_hours) VALUES
  ('standard', 'low', 48, 240), ('standard', 'medium', 24, 120), ('standard', 'high', 8, 48), ('standard', 'critical', 4, 24),
  ('fintech', 'low', 24, 120), ('fintech', 'medium', 12, 72), ('fintech', 'high', 4, 24), ('fintech', 'critical', 1, 8),
  ('healthcare', 'low', 24, 120), ('healthcare', 'medium', 12, 72), ('healthcare', 'high', 4, 24), ('healthcare', 'critical', 1, 8),
  ('gov_federal', 'low', 12, 72), ('gov_federal', 'medium', 8, 48), ('gov_federal', 'high', 2, 12), ('gov_federal', 'critical', 1, 4);
GRANT SELECT ON sla_policies TO sb_api, sb_analytics, sb_jobs;

CREATE TABLE support_tickets (
  id                    uuid PRIMARY KEY DEFAULT app.uuid_v7(),
  customer_id           uuid NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
  subject               text NOT NULL CHECK (length(subject) BETWEEN 1 AND 200),
  description           text NOT NULL CHECK (length(description) BETWEEN 1 AND 20000),
  priority              text NOT NULL CHECK (priority IN ('low', 'medium', 'high', 'critical')),
  status                text NOT NULL DEFAULT 'open'
                        CHECK (status IN ('open', 'in_progress', 'waiting_on_customer', 'resolved', 'closed')),
  created_by            uuid,
  assignee              text,
  first_response_due_at timestamptz NOT NULL,
  resolution_due_at     timestamptz NOT NULL,
  first_responded_at    timestamptz,
  resolved_at           timestamptz,
  closed_at             timestamptz,
  sla_breached_at       timestamptz,
  created_at            timestamptz NOT NULL DEFAULT now(),
  updated_at            timestamptz NOT NULL DEFAULT now(),
  UNIQUE (customer_id, id)
);
CREATE INDEX support_tickets_customer_idx ON support_tickets (customer_id, id DESC);
CREATE INDEX support_tickets_filter_idx ON support_tickets (customer_id, status, priority);
CREATE INDEX support_tickets_sla_idx ON support_tickets (resolution_due_at)
  WHERE status NOT IN ('resolved', 'closed') AND sla_breached_at IS NULL;

CREATE TABLE ticket_comments (
  id          uuid PRIMARY KEY DEFAULT app.uuid_v7(),
  customer_id uuid NOT NULL,
  ticket_id   uuid NOT NULL,
  author_type text NOT NULL CHECK (author_type IN ('customer', 'staff', 'system')),
  author_id   text,
  body        text NOT NULL CHECK (length(body) BETWEEN 1 AND 20000),
  -- Staff notes: invisible to the customer (a restrictive policy below, not app code).
  internal    boolean NOT NULL DEFAULT false,
  created_at  timestamptz NOT NULL DEFAULT now(),
  CHECK (NOT internal OR author_type = 'staff'),
  FOREIGN KEY (customer_id, ticket_id) REFERENCES support_tickets (customer_id, id) ON DELETE CASCADE
);
CREATE INDEX ticket_comments_customer_idx ON ticket_comments (customer_id, ticket_id, id);

CREATE TABLE cost_budgets (
  id               uuid PRIMARY KEY DEFAULT app.uuid_v7(),
  customer_id      uuid NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
  monthly_limit_cents bigint NOT NULL CHECK (monthly_limit_cents > 0),
  alert_thresholds integer[] NOT NULL DEFAULT '{80,100}'
                   CHECK (cardinality(alert_thresholds) BETWEEN 1 AND 10 AND 0 < ALL (alert_thresholds) AND 500 >= ALL (alert_thresholds)),
  last_alerted_at  timestamptz,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  UNIQUE (customer_id)
);

CREATE TABLE cost_forecasts (
  customer_id    uuid NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
  month          date NOT NULL CHECK (extract(day FROM month) = 1),
  method         text NOT NULL,
  forecast_cents bigint NOT NULL CHECK (forecast_cents >= 0),
  lower_cents    bigint NOT NULL CHECK (lower_cents >= 0),
  upper_cents    bigint NOT NULL CHECK (upper_cents >= lower_cents),
  confidence     numeric(4, 3) NOT NULL CHECK (confidence > 0 AND confidence < 1),
  history_months integer NOT NULL CHECK (history_months >= 0),
  generated_at   timestamptz NOT NULL DEFAULT now(),
  expires_at     timestamptz NOT NULL DEFAULT now() + interval '90 days',
  PRIMARY KEY (customer_id, month)
);

CREATE TABLE reports (
  id           uuid PRIMARY KEY DEFAULT app.uuid_v7(),
  customer_id  uuid NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
  kind         text NOT NULL CHECK (kind IN ('usage', 'cost', 'sla_compliance', 'api_key_activity')),
  format       text NOT NULL CHECK (format IN ('json', 'csv')),
  parameters   jsonb NOT NULL DEFAULT '{}',
  status       text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'ready', 'failed')),
  content      text,
  created_by   text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  completed_at timestamptz,
  expires_at   timestamptz NOT NULL DEFAULT now() + interval '30 days'
);
CREATE INDEX reports_customer_idx ON reports (customer_id, id DESC);

SELECT app.secure_tenant_table('support_tickets');
SELECT app.secure_tenant_table('ticket_comments');
SELECT app.secure_tenant_table('cost_budgets');
SELECT app.secure_tenant_table('cost_forecasts');
SELECT app.secure_tenant_table('reports');

CREATE POLICY ticket_comments_internal_staff_only ON ticket_comments AS RESTRICTIVE FOR SELECT
  USING (NOT internal OR (SELECT app.is_super_admin()));

GRANT SELECT, INSERT, UPDATE ON support_tickets TO sb_api;
GRANT SELECT, INSERT ON ticket_comments TO sb_api;
GRANT SELECT, INSERT, UPDATE, DELETE ON cost_budgets TO sb_api;
GRANT SELECT ON cost_forecasts TO sb_api;
GRANT SELECT, INSERT, UPDATE ON reports TO sb_api;
GRANT SELECT ON support_tickets, ticket_comments, cost_budgets, cost_forecasts, reports TO sb_analytics;

SELECT app.grant_jobs_access('support_tickets', ARRAY['SELECT', 'UPDATE', 'DELETE']);
SELECT app.grant_jobs_access('ticket_comments', ARRAY['INSERT']);
SELECT app.grant_jobs_access('cost_budgets', ARRAY['SELECT', 'UPDATE']);
SELECT app.grant_jobs_access('cost_forecasts', ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE']);
SELECT app.grant_jobs_access('reports', ARRAY['SELECT', 'DELETE']);
