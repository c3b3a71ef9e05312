-- Whether the subject behind a request's credentials may still act: an active user, or an API key
-- neither revoked nor expired. Every write transaction of an authenticated request asks it in its
-- first round trip, so a principal served from a cache cannot write once its user or key is gone.
-- SECURITY DEFINER (sb_auth, which may read users and keys of every tenant): a staff member writes
-- under another customer's context, where RLS would hide the staff user's own row.
CREATE FUNCTION app.subject_alive(p_user_id uuid, p_key_id uuid) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
  SELECT CASE
    WHEN p_user_id IS NOT NULL THEN
      EXISTS (SELECT 1 FROM users u WHERE u.id = p_user_id AND u.status = 'active')
    ELSE
      EXISTS (SELECT 1 FROM api_keys k WHERE k.id = p_key_id AND k.revoked_at IS NULL
                AND (k.expires_at IS NULL OR k.expires_at > now()))
  END
$$;
-- Owned by sb_auth, executable by sb_api alone (0070's install_function sets both).
SELECT app.install_function('app.subject_alive(uuid, uuid)', 'sb_auth', ARRAY['sb_api']::name[]);
