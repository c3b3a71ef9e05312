-- Identity and access at the edge (SPEC §3): who created each key, key rotation, the lookups
-- that run before any tenant context exists (login, invite acceptance), platform staff access
-- to customers, and the narrow grants the jobs need for key usage times.

ALTER TABLE api_keys
  ADD COLUMN created_by_type text CHECK (created_by_type IN ('user', 'api_key', 'system', 'staff')),
  ADD COLUMN created_by_id   text,
  -- The key this one replaced (rotation); the old key keeps working until its expires_at.
  ADD COLUMN rotated_from    uuid,
  ADD COLUMN rotated_to      uuid;

-- Every key's rate limit comes with its principal, so the edge needs no lookup per request.
DROP FUNCTION app.resolve_api_key(bytea);
CREATE FUNCTION app.resolve_api_key(p_key_hash bytea)
RETURNS TABLE (key_id uuid, customer_id uuid, scopes text[], mode text, expires_at timestamptz, tier text,
               rate_limit_per_minute integer)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
  SELECT k.id, k.customer_id, k.scopes, k.mode, k.expires_at, c.tier, tf.api_rate_limit_per_minute
  FROM api_keys k
  JOIN customers c ON c.id = k.customer_id
  JOIN tier_features tf ON tf.tier = c.tier
  WHERE k.key_hash = p_key_hash
    AND k.revoked_at IS NULL
    AND (k.expires_at IS NULL OR k.expires_at > now())
    AND c.status = 'active'
$$;
GRANT SELECT ON tier_features TO sb_auth;
SELECT app.hand_function_to('app.resolve_api_key(bytea)', 'sb_auth');
REVOKE ALL ON FUNCTION app.resolve_api_key(bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.resolve_api_key(bytea) TO sb_api;

-- Login: the user behind an email, before any tenant context exists. Returns the password hash
-- for the Worker to verify; sb_api can call this but cannot read users across tenants.
GRANT SELECT ON users, user_invites TO sb_auth;
CREATE POLICY users_auth_lookup ON users FOR SELECT TO sb_auth USING (true);
CREATE POLICY user_invites_auth_lookup ON user_invites FOR SELECT TO sb_auth USING (true);

CREATE FUNCTION app.find_login(p_email text)
RETURNS TABLE (user_id uuid, customer_id uuid, role text, platform_role text, password_hash text, user_status text,
               customer_status text, tier text, rate_limit_per_minute integer)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
  SELECT u.id, u.customer_id, u.role, u.platform_role, u.password_hash, u.status, c.status, c.tier,
         tf.api_rate_limit_per_minute
  FROM users u
  JOIN customers c ON c.id = u.customer_id
  JOIN tier_features tf ON tf.tier = c.tier
  WHERE u.email = lower(p_email)
$$;
SELECT app.hand_function_to('app.find_login(text)', 'sb_auth');
REVOKE ALL ON FUNCTION app.find_login(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.find_login(text) TO sb_api;

-- Invite acceptance: the pending, unexpired invite behind a token hash.
CREATE FUNCTION app.find_invite(p_token_hash bytea)
RETURNS TABLE (invite_id uuid, customer_id uuid, email text, role text, customer_status text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
  SELECT i.id, i.customer_id, i.email, i.role, c.status
  FROM user_invites i JOIN customers c ON c.id = i.customer_id
  WHERE i.token_hash = p_token_hash
    AND i.accepted_at IS NULL AND i.revoked_at IS NULL AND i.expires_at > now()
$$;
SELECT app.hand_function_to('app.find_invite(bytea)', 'sb_auth');
REVOKE ALL ON FUNCTION app.find_invite(bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.find_invite(bytea) TO sb_api;

-- SecureBase staff (super_admin, proven by a signed context) onboard and manage customers.
CREATE POLICY customers_staff_select ON customers FOR SELECT USING ((SELECT app.is_super_admin()));
CREATE POLICY customers_staff_update ON customers FOR UPDATE USING ((SELECT app.is_super_admin()))
  WITH CHECK ((SELECT app.is_super_admin()));
GRANT INSERT ON customers TO sb_api;

-- Key usage times are written in batches by the events consumer, and only that column.
GRANT SELECT (id, customer_id, last_used_at), UPDATE (last_used_at) ON api_keys TO sb_jobs;
CREATE POLICY api_keys_jobs_select ON api_keys FOR SELECT TO sb_jobs USING (true);
CREATE POLICY api_keys_jobs_update ON api_keys FOR UPDATE TO sb_jobs USING (true);
