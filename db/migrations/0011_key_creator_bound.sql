-- "An API key can never hold more than its creator's permissions" (SPEC §3), enforced where
-- the key is resolved rather than only when it is created: a key created by a portal user
-- carries at most that user's current role's permissions (staff: no bound), and stops working
-- when that user is deactivated. The Worker purges cached principals of the user's keys when
-- the role or status changes, so the bound applies within the cache bound, not after it.
DROP FUNCTION app.resolve_api_key(bytea);
CREATE FUNCTION app.resolve_api_key(p_key_hash bytea)
RETURNS TABLE (key_id uuid, customer_id uuid, scopes text[], mode text, expires_at timestamptz, tier text,
               rate_limit_per_minute integer)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
  SELECT k.id, k.customer_id,
         CASE
           WHEN k.created_by_type = 'user' AND u.platform_role IS DISTINCT FROM 'super_admin' THEN
             ARRAY(SELECT s FROM unnest(k.scopes) AS s
                   WHERE s IN (SELECT rp.permission FROM role_permissions rp WHERE rp.role = u.role))
           ELSE k.scopes
         END,
         k.mode, k.expires_at, c.tier, tf.api_rate_limit_per_minute
  FROM api_keys k
  JOIN customers c ON c.id = k.customer_id
  JOIN tier_features tf ON tf.tier = c.tier
  LEFT JOIN users u ON k.created_by_type = 'user' AND u.id::text = k.created_by_id
  WHERE k.key_hash = p_key_hash
    AND k.revoked_at IS NULL
    AND (k.expires_at IS NULL OR k.expires_at > now())
    AND c.status = 'active'
    AND (k.created_by_type IS DISTINCT FROM 'user' OR u.status = 'active')
$$;
GRANT SELECT ON role_permissions TO sb_auth;
SELECT app.hand_function_to('app.resolve_api_key(bytea)', 'sb_auth');
REVOKE ALL ON FUNCTION app.resolve_api_key(bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.resolve_api_key(bytea) TO sb_api;
