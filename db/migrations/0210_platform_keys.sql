-- Platform API keys (docs/auth.md, "Platform keys"): machine credentials of SecureBase itself,
-- created by staff, holding platform scopes only (today `usage:ingest`, for usage collectors).
-- A platform key belongs to no customer. `home_customer_id` is the creating staff member's own
-- customer: where the key's audit events are filed, never a tenant it may act for. Stored like
-- customer keys: SHA-256 of the key plus a short display prefix; the key is shown once.
CREATE TABLE platform_api_keys (
  id               uuid PRIMARY KEY DEFAULT app.uuid_v7(),
  name             text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  prefix           text NOT NULL,
  key_hash         bytea NOT NULL UNIQUE CHECK (length(key_hash) = 32),
  scopes           text[] NOT NULL CHECK (cardinality(scopes) > 0 AND scopes <@ ARRAY['usage:ingest']::text[]),
  home_customer_id uuid NOT NULL REFERENCES customers (id),
  created_by       uuid NOT NULL REFERENCES users (id),
  created_at       timestamptz NOT NULL DEFAULT now(),
  revoked_at       timestamptz,
  revoked_by       uuid REFERENCES users (id)
);

-- Staff only: the request role sees and changes rows under a signed staff context alone.
ALTER TABLE platform_api_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE platform_api_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY platform_api_keys_staff_select ON platform_api_keys FOR SELECT TO sb_api USING (app.is_super_admin());
CREATE POLICY platform_api_keys_staff_insert ON platform_api_keys FOR INSERT TO sb_api WITH CHECK (app.is_super_admin());
CREATE POLICY platform_api_keys_staff_update ON platform_api_keys FOR UPDATE TO sb_api
  USING (app.is_super_admin()) WITH CHECK (app.is_super_admin());
-- key_hash is readable as for customer keys: revocation purges the auth cache entry by it.
GRANT SELECT, INSERT ON platform_api_keys TO sb_api;
GRANT UPDATE (revoked_at, revoked_by) ON platform_api_keys TO sb_api;

-- The lookups behind authentication run as sb_auth, before any context exists.
GRANT SELECT ON platform_api_keys TO sb_auth;
CREATE POLICY platform_api_keys_auth_lookup ON platform_api_keys FOR SELECT TO sb_auth USING (true);

-- Key hash -> principal. Revoked keys resolve to nothing. The rate limit is the platform's
-- collector allowance, not a customer tier's.
CREATE FUNCTION app.resolve_platform_key(p_key_hash bytea)
RETURNS TABLE (key_id uuid, home_customer_id uuid, scopes text[], tier text, rate_limit_per_minute integer)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
  SELECT k.id, k.home_customer_id, k.scopes, c.tier, 600
  FROM platform_api_keys k
  JOIN customers c ON c.id = k.home_customer_id
  WHERE k.key_hash = p_key_hash AND k.revoked_at IS NULL
$$;
SELECT app.install_function('app.resolve_platform_key(bytea)', 'sb_auth', ARRAY['sb_api']::name[]);

-- Writes by a cached platform-key principal check the key is still unrevoked (as 0072 does for
-- customer keys).
CREATE FUNCTION app.platform_key_alive(p_key_id uuid) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
  SELECT EXISTS (SELECT 1 FROM platform_api_keys k WHERE k.id = p_key_id AND k.revoked_at IS NULL)
$$;
SELECT app.install_function('app.platform_key_alive(uuid)', 'sb_auth', ARRAY['sb_api']::name[]);
