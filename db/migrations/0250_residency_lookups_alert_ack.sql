-- 1. Residency (docs/residency.md): every credential lookup also returns the customer's
-- data_jurisdiction, so the principal (and its KV cache entry) knows where the customer's Durable
-- Object state lives without another round trip. The return types grow, so each function is
-- replaced whole; bodies are unchanged otherwise.

SELECT app.reclaim_function('app.resolve_api_key(bytea)');
DROP FUNCTION app.resolve_api_key(bytea);
CREATE FUNCTION app.resolve_api_key(p_key_hash bytea)
RETURNS TABLE (key_id uuid, customer_id uuid, scopes text[], mode text, expires_at timestamptz, tier text,
               rate_limit_per_minute integer, data_jurisdiction text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
  SELECT k.id, k.customer_id,
         CASE
           WHEN k.origin_user_id IS NOT NULL AND u.platform_role IS DISTINCT FROM 'super_admin' THEN
             ARRAY(SELECT s FROM unnest(k.scopes) AS s
                   WHERE s IN (SELECT rp.permission FROM role_permissions rp WHERE rp.role = u.role))
           ELSE k.scopes
         END,
         k.mode, k.expires_at, c.tier, tf.api_rate_limit_per_minute, c.data_jurisdiction
  FROM api_keys k
  JOIN customers c ON c.id = k.customer_id
  JOIN tier_features tf ON tf.tier = c.tier
  LEFT JOIN users u ON u.id = k.origin_user_id
  WHERE k.key_hash = p_key_hash
    AND k.revoked_at IS NULL
    AND (k.expires_at IS NULL OR k.expires_at > now())
    AND c.status = 'active'
    AND (k.origin_user_id IS NULL OR u.status = 'active')
$$;
SELECT app.install_function('app.resolve_api_key(bytea)', 'sb_auth', ARRAY['sb_api']::name[]);

-- A platform key's quota lives with its home customer (the creating staff member's).
SELECT app.reclaim_function('app.resolve_platform_key(bytea)');
DROP FUNCTION app.resolve_platform_key(bytea);
CREATE FUNCTION app.resolve_platform_key(p_key_hash bytea)
RETURNS TABLE (key_id uuid, home_customer_id uuid, scopes text[], tier text, rate_limit_per_minute integer,
               data_jurisdiction text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
  SELECT k.id, k.home_customer_id, k.scopes, c.tier, 600, c.data_jurisdiction
  FROM platform_api_keys k
  JOIN customers c ON c.id = k.home_customer_id
  WHERE k.key_hash = p_key_hash AND k.revoked_at IS NULL
$$;
SELECT app.install_function('app.resolve_platform_key(bytea)', 'sb_auth', ARRAY['sb_api']::name[]);

SELECT app.reclaim_function('app.find_login(text)');
DROP FUNCTION app.find_login(text);
CREATE FUNCTION app.find_login(p_email text)
RETURNS TABLE (user_id uuid, customer_id uuid, role text, platform_role text, password_hash text, user_status text,
               customer_status text, tier text, rate_limit_per_minute integer, data_jurisdiction text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
  SELECT u.id, u.customer_id, u.role, u.platform_role, u.password_hash, u.status, c.status, c.tier,
         tf.api_rate_limit_per_minute, c.data_jurisdiction
  FROM users u
  JOIN customers c ON c.id = u.customer_id
  JOIN tier_features tf ON tf.tier = c.tier
  WHERE u.email = lower(p_email)
$$;
SELECT app.install_function('app.find_login(text)', 'sb_auth', ARRAY['sb_api']::name[]);

SELECT app.reclaim_function('app.find_passkey_login(bytea)');
DROP FUNCTION app.find_passkey_login(bytea);
CREATE FUNCTION app.find_passkey_login(p_credential_id bytea)
RETURNS TABLE (passkey_id uuid, user_id uuid, customer_id uuid, email text, role text, platform_role text,
               user_status text, customer_status text, tier text, rate_limit_per_minute integer,
               public_key bytea, counter bigint, data_jurisdiction text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
  SELECT p.id, u.id, u.customer_id, u.email, u.role, u.platform_role, u.status, c.status, c.tier,
         tf.api_rate_limit_per_minute, p.public_key, p.counter, c.data_jurisdiction
  FROM user_passkeys p
  JOIN users u ON u.customer_id = p.customer_id AND u.id = p.user_id
  JOIN customers c ON c.id = p.customer_id
  JOIN tier_features tf ON tf.tier = c.tier
  WHERE p.credential_id = p_credential_id
$$;
SELECT app.install_function('app.find_passkey_login(bytea)', 'sb_auth', ARRAY['sb_api']::name[]);

-- 2. Alert acknowledgement (docs/operations.md, "Alerts"; docs/runbooks.md): a staff member says
-- "I have this" on an open incident. The incident stays open until its rule clears (the resolve
-- message still goes out); the list shows who acknowledged it and when.
ALTER TABLE alert_incidents
  ADD COLUMN acknowledged_at  timestamptz,
  ADD COLUMN acknowledged_by  uuid,
  ADD COLUMN acknowledge_note text CHECK (acknowledge_note IS NULL OR length(acknowledge_note) <= 500),
  ADD CONSTRAINT alert_incidents_ack_complete CHECK ((acknowledged_at IS NULL) = (acknowledged_by IS NULL));

-- Staff only; owned by the jobs role, the one role that may change the platform table. Answers
-- the outcome rather than raising, so the route can tell 404 from 409 without a second query.
CREATE FUNCTION app.acknowledge_alert(p_id uuid, p_note text) RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  v_row alert_incidents;
BEGIN
  IF NOT coalesce(app.is_super_admin(), false) OR app.current_user_id() IS NULL THEN
    RAISE EXCEPTION 'alerts are for SecureBase staff' USING ERRCODE = '42501';
  END IF;
  SELECT * INTO v_row FROM alert_incidents WHERE id = p_id FOR UPDATE;
  IF NOT FOUND THEN
    RETURN jsonb_build_object('outcome', 'not_found');
  ELSIF v_row.resolved_at IS NOT NULL THEN
    RETURN jsonb_build_object('outcome', 'resolved');
  ELSIF v_row.acknowledged_at IS NOT NULL THEN
    RETURN jsonb_build_object('outcome', 'already_acknowledged', 'incident', to_jsonb(v_row));
  END IF;
  UPDATE alert_incidents
     SET acknowledged_at = now(), acknowledged_by = app.current_user_id(), acknowledge_note = p_note
   WHERE id = p_id
  RETURNING * INTO v_row;
  RETURN jsonb_build_object('outcome', 'acknowledged', 'incident', to_jsonb(v_row));
END
$$;
SELECT app.install_function('app.acknowledge_alert(uuid,text)', 'sb_jobs', ARRAY['sb_api']::name[]);

-- The list shows acknowledgements; `open` now means open and not yet acknowledged.
SELECT app.reclaim_function('app.platform_alerts(text,integer)');
CREATE OR REPLACE FUNCTION app.platform_alerts(p_state text, p_limit integer) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
  IF NOT coalesce(app.is_super_admin(), false) THEN
    RAISE EXCEPTION 'alerts are for SecureBase staff' USING ERRCODE = '42501';
  END IF;
  RETURN (
    SELECT coalesce(jsonb_agg(to_jsonb(i) ORDER BY i.opened_at DESC, i.id DESC), '[]'::jsonb)
    FROM (
      SELECT id, rule, key, opened_at, last_seen_at, resolved_at, details,
             acknowledged_at, acknowledged_by, acknowledge_note
      FROM alert_incidents
      WHERE p_state = 'all'
         OR (p_state = 'open' AND resolved_at IS NULL AND acknowledged_at IS NULL)
         OR (p_state = 'acknowledged' AND resolved_at IS NULL AND acknowledged_at IS NOT NULL)
         OR (p_state = 'resolved' AND resolved_at IS NOT NULL)
      ORDER BY opened_at DESC, id DESC LIMIT least(greatest(p_limit, 1), 200)
    ) i
  );
END
$$;
SELECT app.install_function('app.platform_alerts(text,integer)', 'sb_status', ARRAY['sb_api']::name[]);
