-- Portal identity (seed 004): users, their sessions, invites, and the role -> permission matrix.

CREATE TABLE role_permissions (
  role       text NOT NULL CHECK (role IN ('admin', 'billing', 'support', 'developer', 'viewer')),
  permission text NOT NULL CHECK (permission ~ '^[a-z_]+:(read|write)$'),
  PRIMARY KEY (role, permission)
);

INSERT INTO role_permissions (role, permission)
SELECT 'admin', p FROM unnest(ARRAY[
  'invoices:read', 'billing:read', 'usage:read', 'usage:write', 'metrics:read', 'api_keys:read', 'api_keys:write',
  'users:read', 'users:write', 'sessions:read', 'sessions:write', 'audit:read', 'support:read', 'support:write',
  'webhooks:read', 'webhooks:write', 'notifications:read', 'notifications:write', 'cost:read', 'cost:write',
  'accounts:read', 'accounts:write', 'reports:read']) AS p
UNION ALL
SELECT 'billing', p FROM unnest(ARRAY[
  'invoices:read', 'billing:read', 'usage:read', 'metrics:read', 'cost:read', 'cost:write', 'accounts:read',
  'notifications:read', 'notifications:write', 'reports:read', 'support:read', 'support:write']) AS p
UNION ALL
SELECT 'support', p FROM unnest(ARRAY[
  'support:read', 'support:write', 'accounts:read', 'metrics:read', 'notifications:read', 'notifications:write',
  'reports:read']) AS p
UNION ALL
SELECT 'developer', p FROM unnest(ARRAY[
  'api_keys:read', 'api_keys:write', 'webhooks:read', 'webhooks:write', 'usage:read', 'usage:write', 'metrics:read',
  'accounts:read', 'support:read', 'support:write', 'notifications:read', 'notifications:write', 'invoices:read']) AS p
UNION ALL
SELECT 'viewer', p FROM unnest(ARRAY[
  'invoices:read', 'billing:read', 'usage:read', 'metrics:read', 'accounts:read', 'support:read', 'cost:read',
  'notifications:read', 'reports:read']) AS p;

GRANT SELECT ON role_permissions TO sb_api, sb_analytics, sb_jobs;

CREATE FUNCTION app.has_permission(p_permission text) RETURNS boolean
LANGUAGE sql STABLE AS $$
  SELECT app.is_super_admin()
      OR EXISTS (SELECT 1 FROM role_permissions rp WHERE rp.role = app.current_role() AND rp.permission = p_permission)
$$;
GRANT EXECUTE ON FUNCTION app.has_permission(text) TO sb_api, sb_analytics, sb_jobs;

CREATE TABLE users (
  id             uuid PRIMARY KEY DEFAULT app.uuid_v7(),
  customer_id    uuid NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
  email          text NOT NULL CHECK (email = lower(email) AND position('@' IN email) > 1),
  name           text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  role           text NOT NULL CHECK (role IN ('admin', 'billing', 'support', 'developer', 'viewer')),
  -- SecureBase staff only; granted by the platform, never through the customer API.
  platform_role  text CHECK (platform_role IN ('super_admin')),
  status         text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'deactivated')),
  -- PHC-format string of a slow password hash (algorithm, parameters, salt, hash).
  password_hash  text,
  last_login_at  timestamptz,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  UNIQUE (customer_id, id)
);
-- Login is by email alone, so an email belongs to one user platform-wide.
CREATE UNIQUE INDEX users_email_key ON users (email);
CREATE INDEX users_customer_idx ON users (customer_id, id);

CREATE TABLE user_sessions (
  id           uuid PRIMARY KEY DEFAULT app.uuid_v7(),
  customer_id  uuid NOT NULL,
  user_id      uuid NOT NULL,
  ip           inet,
  user_agent   text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  last_seen_at timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz NOT NULL,
  revoked_at   timestamptz,
  FOREIGN KEY (customer_id, user_id) REFERENCES users (customer_id, id) ON DELETE CASCADE,
  CHECK (expires_at > created_at)
);
CREATE INDEX user_sessions_customer_idx ON user_sessions (customer_id, user_id, id);

CREATE TABLE user_invites (
  id          uuid PRIMARY KEY DEFAULT app.uuid_v7(),
  customer_id uuid NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
  email       text NOT NULL CHECK (email = lower(email) AND position('@' IN email) > 1),
  role        text NOT NULL CHECK (role IN ('admin', 'billing', 'support', 'developer', 'viewer')),
  -- SHA-256 of the single-use token that was emailed; the token itself is never stored.
  token_hash  bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
  invited_by  uuid,
  expires_at  timestamptz NOT NULL,
  accepted_at timestamptz,
  revoked_at  timestamptz,
  created_at  timestamptz NOT NULL DEFAULT now(),
  CHECK (expires_at > created_at)
);
CREATE INDEX user_invites_customer_idx ON user_invites (customer_id, id);
-- One pending invite per address and customer.
CREATE UNIQUE INDEX user_invites_pending_key ON user_invites (customer_id, email)
  WHERE accepted_at IS NULL AND revoked_at IS NULL;

SELECT app.secure_tenant_table('users');
SELECT app.secure_tenant_table('user_sessions');
SELECT app.secure_tenant_table('user_invites');

GRANT SELECT, INSERT, UPDATE ON users, user_sessions, user_invites TO sb_api;
GRANT SELECT ON users, user_sessions, user_invites TO sb_analytics;
