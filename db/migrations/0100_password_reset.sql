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
