-- Passkeys (WebAuthn) of portal users (docs/auth.md, "Passkeys"). One row per credential: its id
-- and COSE public key as the authenticator gave them at registration, the signature counter, and
-- what the user sees when listing them. The public key is not a secret (it only verifies).
CREATE TABLE user_passkeys (
  id            uuid PRIMARY KEY DEFAULT app.uuid_v7(),
  customer_id   uuid NOT NULL,
  user_id       uuid NOT NULL,
  -- WebAuthn credential ids are at most 1023 bytes; unique across every tenant, since sign-in
  -- finds the user by it before any tenant context exists.
  credential_id bytea NOT NULL UNIQUE CHECK (length(credential_id) BETWEEN 1 AND 1023),
  public_key    bytea NOT NULL CHECK (length(public_key) BETWEEN 1 AND 2048),
  counter       bigint NOT NULL DEFAULT 0 CHECK (counter BETWEEN 0 AND 4294967295),
  transports    text[] NOT NULL DEFAULT '{}',
  name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  backed_up     boolean NOT NULL,
  device_type   text NOT NULL CHECK (device_type IN ('singleDevice', 'multiDevice')),
  created_at    timestamptz NOT NULL DEFAULT now(),
  last_used_at  timestamptz,
  FOREIGN KEY (customer_id, user_id) REFERENCES users (customer_id, id) ON DELETE CASCADE
);
CREATE INDEX user_passkeys_user_idx ON user_passkeys (customer_id, user_id, id);
SELECT app.secure_tenant_table('user_passkeys');
-- Drizzle names every column in an INSERT; after that only a sign-in's counter and time change.
GRANT SELECT, INSERT, DELETE ON user_passkeys TO sb_api;
GRANT UPDATE (counter, last_used_at) ON user_passkeys TO sb_api;

-- Passkey sign-in comes before any tenant context exists: this definer finds the credential's
-- user with what a session needs, and the key and counter to verify the assertion with.
GRANT SELECT ON user_passkeys TO sb_auth;
CREATE POLICY user_passkeys_auth_lookup ON user_passkeys FOR SELECT TO sb_auth USING (true);
CREATE FUNCTION app.find_passkey_login(p_credential_id bytea)
RETURNS TABLE (passkey_id uuid, user_id uuid, customer_id uuid, email text, role text, platform_role text,
               user_status text, customer_status text, tier text, rate_limit_per_minute integer,
               public_key bytea, counter bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
  SELECT p.id, u.id, u.customer_id, u.email, u.role, u.platform_role, u.status, c.status, c.tier,
         tf.api_rate_limit_per_minute, p.public_key, p.counter
  FROM user_passkeys p
  JOIN users u ON u.customer_id = p.customer_id AND u.id = p.user_id
  JOIN customers c ON c.id = p.customer_id
  JOIN tier_features tf ON tf.tier = c.tier
  WHERE p.credential_id = p_credential_id
$$;
SELECT app.install_function('app.find_passkey_login(bytea)', 'sb_auth', ARRAY['sb_api']::name[]);
