-- Second factors and the per-customer security policy (docs/auth.md, "Second factors",
-- "Security policy").

-- One TOTP authenticator per user: pending until its first code is confirmed. The secret must be
-- read back to check codes, so it is sealed (worker/platform/encryption.ts, bound to this row).
-- last_used_step is the RFC 6238 time step of the last accepted code: a code is accepted only
-- for a later step, so a seen code never works twice.
CREATE TABLE user_totp (
  id             uuid PRIMARY KEY DEFAULT app.uuid_v7(),
  customer_id    uuid NOT NULL,
  user_id        uuid NOT NULL,
  secret_sealed  text NOT NULL CHECK (secret_sealed ~ '^v2\.'),
  confirmed_at   timestamptz,
  last_used_step bigint NOT NULL DEFAULT 0 CHECK (last_used_step >= 0),
  created_at     timestamptz NOT NULL DEFAULT now(),
  UNIQUE (customer_id, user_id),
  FOREIGN KEY (customer_id, user_id) REFERENCES users (customer_id, id) ON DELETE CASCADE
);
SELECT app.secure_tenant_table('user_totp');
GRANT SELECT, INSERT, DELETE ON user_totp TO sb_api;
GRANT UPDATE (confirmed_at, last_used_step) ON user_totp TO sb_api;

-- Recovery codes: shown once, stored as SHA-256 (each has 80 random bits, so a fast hash is
-- safe: there is nothing to guess), each used once.
CREATE TABLE user_recovery_codes (
  id          uuid PRIMARY KEY DEFAULT app.uuid_v7(),
  customer_id uuid NOT NULL,
  user_id     uuid NOT NULL,
  code_hash   bytea NOT NULL CHECK (length(code_hash) = 32),
  created_at  timestamptz NOT NULL DEFAULT now(),
  used_at     timestamptz,
  UNIQUE (customer_id, user_id, code_hash),
  FOREIGN KEY (customer_id, user_id) REFERENCES users (customer_id, id) ON DELETE CASCADE
);
SELECT app.secure_tenant_table('user_recovery_codes');
GRANT SELECT, INSERT, DELETE ON user_recovery_codes TO sb_api;
GRANT UPDATE (used_at) ON user_recovery_codes TO sb_api;

-- The customer's sign-in policy. No row = the tier's defaults (worker/auth/security-policy.ts).
CREATE TABLE customer_security_policies (
  customer_id              uuid PRIMARY KEY REFERENCES customers (id) ON DELETE CASCADE,
  mfa_required             boolean NOT NULL,
  session_lifetime_minutes integer NOT NULL CHECK (session_lifetime_minutes BETWEEN 15 AND 1440),
  idle_timeout_minutes     integer NOT NULL CHECK (idle_timeout_minutes BETWEEN 5 AND 480),
  allowed_sign_in_methods  text[] NOT NULL CHECK (
    cardinality(allowed_sign_in_methods) BETWEEN 1 AND 2
    AND allowed_sign_in_methods <@ ARRAY['password', 'passkey']::text[]
  ),
  updated_at               timestamptz NOT NULL DEFAULT now()
);
SELECT app.secure_tenant_table('customer_security_policies');
GRANT SELECT, INSERT ON customer_security_policies TO sb_api;
GRANT UPDATE (mfa_required, session_lifetime_minutes, idle_timeout_minutes, allowed_sign_in_methods, updated_at)
  ON customer_security_policies TO sb_api;

-- Login runs before any tenant context: this definer tells it, for the user whose password was
-- just checked, which second factors they have and their customer's stored policy (NULLs: none
-- stored, the tier's defaults apply). One row, one round trip, alongside the password check.
GRANT SELECT ON user_totp, customer_security_policies TO sb_auth;
CREATE POLICY user_totp_auth_lookup ON user_totp FOR SELECT TO sb_auth USING (true);
CREATE POLICY customer_security_policies_auth_lookup ON customer_security_policies FOR SELECT TO sb_auth
  USING (true);
CREATE FUNCTION app.login_security(p_user_id uuid)
RETURNS TABLE (has_totp boolean, mfa_required boolean, session_lifetime_minutes integer,
               idle_timeout_minutes integer, allowed_sign_in_methods text[])
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
  SELECT EXISTS (SELECT 1 FROM user_totp t
                 WHERE t.customer_id = u.customer_id AND t.user_id = u.id AND t.confirmed_at IS NOT NULL),
         p.mfa_required, p.session_lifetime_minutes, p.idle_timeout_minutes, p.allowed_sign_in_methods
  FROM users u
  LEFT JOIN customer_security_policies p ON p.customer_id = u.customer_id
  WHERE u.id = p_user_id
$$;
SELECT app.install_function('app.login_security(uuid)', 'sb_auth', ARRAY['sb_api']::name[]);

-- Admins manage the policy (worker/auth/permissions.ts keeps the same matrix).
INSERT INTO role_permissions (role, permission)
VALUES ('admin', 'security_policy:read'), ('admin', 'security_policy:write');
