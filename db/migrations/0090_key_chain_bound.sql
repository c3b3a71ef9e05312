-- A key made by a key is bounded by, and stops with, the portal user who started the chain
-- (docs/auth.md, "Permissions"). 0011 bounded only keys a user created directly: a key created or
-- rotated by another key (created_by_type = 'api_key') held its scopes whatever became of that
-- user. Every key now records origin_user_id — the user at the root of its created_by chain, NULL
-- when the chain starts at the system or staff — and what 0011 applies to a key's creator
-- applies to it.
ALTER TABLE api_keys ADD COLUMN origin_user_id uuid;

-- Backfill, following each chain from its user. RLS binds the migrating role too (FORCE): lifted
-- for this transaction's statements only, so the UPDATEs see every tenant's keys.
ALTER TABLE api_keys NO FORCE ROW LEVEL SECURITY;
UPDATE api_keys SET origin_user_id = created_by_id::uuid
WHERE created_by_type = 'user' AND created_by_id ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';
DO $$
DECLARE
  v_rows integer;
BEGIN
  LOOP
    UPDATE api_keys child SET origin_user_id = parent.origin_user_id
    FROM api_keys parent
    WHERE child.created_by_type = 'api_key' AND child.created_by_id = parent.id::text
      AND child.origin_user_id IS NULL AND parent.origin_user_id IS NOT NULL;
    GET DIAGNOSTICS v_rows = ROW_COUNT;
    EXIT WHEN v_rows = 0;
  END LOOP;
END $$;
ALTER TABLE api_keys FORCE ROW LEVEL SECURITY;
CREATE INDEX api_keys_origin_user_id_idx ON api_keys (origin_user_id) WHERE origin_user_id IS NOT NULL;

-- Derived, never taken from the writer: on INSERT (and when created_by changes) from the creator —
-- the user itself, or the creating key's origin (read under the writer's RLS: a key of another
-- tenant is never a parent). Any other UPDATE keeps it.
CREATE FUNCTION app.derive_key_origin() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND NEW.created_by_type IS NOT DISTINCT FROM OLD.created_by_type
     AND NEW.created_by_id IS NOT DISTINCT FROM OLD.created_by_id THEN
    NEW.origin_user_id := OLD.origin_user_id;
    RETURN NEW;
  END IF;
  NEW.origin_user_id := CASE NEW.created_by_type
    WHEN 'user' THEN
      CASE WHEN NEW.created_by_id ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
           THEN NEW.created_by_id::uuid END
    WHEN 'api_key' THEN
      (SELECT k.origin_user_id FROM api_keys k WHERE k.id::text = NEW.created_by_id)
  END;
  RETURN NEW;
END
$$;
SELECT app.install_function('app.derive_key_origin()', current_user, ARRAY[]::name[]);
CREATE TRIGGER api_keys_derive_origin BEFORE INSERT OR UPDATE ON api_keys
  FOR EACH ROW EXECUTE FUNCTION app.derive_key_origin();

-- 0011's bound, on the origin user: scopes cut to that user's role (staff: no cut), and the key
-- stops when that user is deactivated or gone.
SELECT app.reclaim_function('app.resolve_api_key(bytea)');
CREATE OR REPLACE FUNCTION app.resolve_api_key(p_key_hash bytea)
RETURNS TABLE (key_id uuid, customer_id uuid, scopes text[], mode text, expires_at timestamptz, tier text,
               rate_limit_per_minute integer)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
  SELECT k.id, k.customer_id,
         CASE
           WHEN k.origin_user_id IS NOT NULL AND u.platform_role IS DISTINCT FROM 'super_admin' THEN
             ARRAY(SELECT s FROM unnest(k.scopes) AS s
                   WHERE s IN (SELECT rp.permission FROM role_permissions rp WHERE rp.role = u.role))
           ELSE k.scopes
         END,
         k.mode, k.expires_at, c.tier, tf.api_rate_limit_per_minute
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

-- Writes by a cached key principal check the origin user too (0072).
SELECT app.reclaim_function('app.subject_alive(uuid, uuid)');
CREATE OR REPLACE FUNCTION app.subject_alive(p_user_id uuid, p_key_id uuid) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
  SELECT CASE
    WHEN p_user_id IS NOT NULL THEN
      EXISTS (SELECT 1 FROM users u WHERE u.id = p_user_id AND u.status = 'active')
    ELSE
      EXISTS (SELECT 1 FROM api_keys k WHERE k.id = p_key_id AND k.revoked_at IS NULL
                AND (k.expires_at IS NULL OR k.expires_at > now())
                AND (k.origin_user_id IS NULL
                     OR EXISTS (SELECT 1 FROM users u WHERE u.id = k.origin_user_id AND u.status = 'active')))
  END
$$;
SELECT app.install_function('app.subject_alive(uuid, uuid)', 'sb_auth', ARRAY['sb_api']::name[]);
