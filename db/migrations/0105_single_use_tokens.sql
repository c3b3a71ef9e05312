-- Single-use, short-lived sign-in tokens (docs/auth.md, "Second factors"): an MFA challenge, a
-- WebAuthn challenge, an enrolment grant. The tokens themselves are signed and carry their own
-- expiry (worker/auth/purpose-token.ts); the database only remembers which ones were used, so a
-- second use fails even on another isolate. Rows outlive their token by an hour, then go.
CREATE TABLE used_tokens (
  jti        uuid PRIMARY KEY,
  purpose    text NOT NULL CHECK (purpose ~ '^[a-z][a-z_]{1,31}$'),
  expires_at timestamptz NOT NULL,
  used_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX used_tokens_expires_idx ON used_tokens (expires_at);
ALTER TABLE used_tokens ENABLE ROW LEVEL SECURITY;
ALTER TABLE used_tokens FORCE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, DELETE ON used_tokens TO sb_auth;
CREATE POLICY used_tokens_auth ON used_tokens TO sb_auth USING (true) WITH CHECK (true);

-- True the first time a token id is presented, false ever after (until long past its expiry).
CREATE FUNCTION app.use_token_once(p_jti uuid, p_purpose text, p_expires_at timestamptz) RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  fresh boolean;
BEGIN
  IF p_expires_at <= now() OR p_expires_at > now() + interval '1 day' THEN
    RETURN false;
  END IF;
  INSERT INTO used_tokens (jti, purpose, expires_at) VALUES (p_jti, p_purpose, p_expires_at + interval '1 hour')
  ON CONFLICT (jti) DO NOTHING;
  GET DIAGNOSTICS fresh = ROW_COUNT;
  -- Housekeeping in passing: a few expired rows per use keep the table small without a job.
  DELETE FROM used_tokens WHERE jti IN (
    SELECT jti FROM used_tokens WHERE expires_at < now() ORDER BY expires_at LIMIT 10
  );
  RETURN fresh;
END
$$;
SELECT app.install_function('app.use_token_once(uuid, text, timestamptz)', 'sb_auth', ARRAY['sb_api']::name[]);
