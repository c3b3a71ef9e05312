-- Passkeys count as a second factor (docs/auth.md, "Second factors"): the login lookup also says
-- whether the user has one, so a password sign-in offers "passkey" in its MFA challenge. The
-- return type grows, so the function is replaced whole.
SELECT app.reclaim_function('app.login_security(uuid)');
DROP FUNCTION app.login_security(uuid);
CREATE FUNCTION app.login_security(p_user_id uuid)
RETURNS TABLE (has_totp boolean, has_passkey boolean, mfa_required boolean, session_lifetime_minutes integer,
               idle_timeout_minutes integer, allowed_sign_in_methods text[])
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
  SELECT EXISTS (SELECT 1 FROM user_totp t
                 WHERE t.customer_id = u.customer_id AND t.user_id = u.id AND t.confirmed_at IS NOT NULL),
         EXISTS (SELECT 1 FROM user_passkeys k WHERE k.customer_id = u.customer_id AND k.user_id = u.id),
         p.mfa_required, p.session_lifetime_minutes, p.idle_timeout_minutes, p.allowed_sign_in_methods
  FROM users u
  LEFT JOIN customer_security_policies p ON p.customer_id = u.customer_id
  WHERE u.id = p_user_id
$$;
-- (sb_auth already reads user_passkeys for the passkey sign-in lookup, 0120.)
SELECT app.install_function('app.login_security(uuid)', 'sb_auth', ARRAY['sb_api']::name[]);
