-- Passwords set after sign-up (docs/auth.md, "Passwords"). The request role still may not write
-- password_hash (0070): an admin could otherwise take over any account of the customer. A
-- password is set only through app.set_own_password, which writes the one user the signed tenant
-- context names (the signed-in user changing theirs, or the user a reset token belongs to).
GRANT UPDATE (password_hash, updated_at) ON users TO sb_auth;
CREATE POLICY users_auth_set_own_password ON users FOR UPDATE TO sb_auth
  USING (id = app.current_user_id() AND customer_id = app.current_customer_id())
  WITH CHECK (id = app.current_user_id() AND customer_id = app.current_customer_id());

CREATE FUNCTION app.set_own_password(p_hash text) RETURNS boolean
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
  WITH changed AS (
    UPDATE users SET password_hash = p_hash, updated_at = now()
    WHERE id = app.current_user_id() AND customer_id = app.current_customer_id() AND status = 'active'
      -- Only a hash worker/auth/passwords.ts wrote: never a plaintext by mistake.
      AND p_hash ~ '^\$pbkdf2-sha256\$r=[0-9]{1,2},i=[0-9]{4,6}\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$'
    RETURNING 1
  )
  SELECT EXISTS (SELECT 1 FROM changed)
$$;
SELECT app.install_function('app.set_own_password(text)', 'sb_auth', ARRAY['sb_api']::name[]);

-- Password resets by emailed link: the single-use token is stored as its SHA-256 only, valid
-- 30 minutes; a newer request voids the user's earlier unused links.
CREATE TABLE password_resets (
  id          uuid PRIMARY KEY DEFAULT app.uuid_v7(),
  customer_id uuid NOT NULL,
  user_id     uuid NOT NULL,
  token_hash  bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL,
  used_at     timestamptz,
  voided_at   timestamptz,
  FOREIGN KEY (customer_id, user_id) REFERENCES users (customer_id, id) ON DELETE CASCADE,
  CHECK (expires_at > created_at)
);
CREATE INDEX password_resets_customer_idx ON password_resets (customer_id, user_id, id);
SELECT app.secure_tenant_table('password_resets');
-- Drizzle names every column in an INSERT; the API only ever marks a link used or void.
GRANT SELECT, INSERT ON password_resets TO sb_api;
GRANT UPDATE (used_at, voided_at) ON password_resets TO sb_api;

-- Confirming a reset comes before any tenant context exists: this definer finds the link's user
-- by the token's hash, only while the link is live and the user and customer active.
GRANT SELECT ON password_resets TO sb_auth;
CREATE POLICY password_resets_auth_lookup ON password_resets FOR SELECT TO sb_auth USING (true);
CREATE FUNCTION app.find_password_reset(p_token_hash bytea)
RETURNS TABLE (reset_id uuid, customer_id uuid, user_id uuid, email text, role text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
  SELECT r.id, r.customer_id, r.user_id, u.email, u.role
  FROM password_resets r
  JOIN users u ON u.customer_id = r.customer_id AND u.id = r.user_id
  JOIN customers c ON c.id = r.customer_id
  WHERE r.token_hash = p_token_hash AND r.used_at IS NULL AND r.voided_at IS NULL AND r.expires_at > now()
    AND u.status = 'active' AND c.status = 'active'
$$;
SELECT app.install_function('app.find_password_reset(bytea)', 'sb_auth', ARRAY['sb_api']::name[]);
