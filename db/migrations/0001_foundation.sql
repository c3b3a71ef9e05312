-- Foundation: the app schema, database roles, id generation and the tenant-context helpers.
--
-- Roles (cluster-wide names; created NOLOGIN here, given a login password by the environment):
--   the migrating role (whoever runs this: sb_owner locally) owns every object;
--   sb_api   the Worker's request role: not owner, NOBYPASSRLS, only the grants it needs;
--   sb_auth  owns the SECURITY DEFINER key lookup; never logs in; sees api_keys only through it;
--   sb_jobs  the scheduled jobs' and queue consumers' role; no tenant request ever uses it.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'sb_api') THEN
    CREATE ROLE sb_api NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS NOINHERIT;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'sb_auth') THEN
    CREATE ROLE sb_auth NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS NOINHERIT;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'sb_jobs') THEN
    CREATE ROLE sb_jobs NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS NOINHERIT;
  END IF;
END $$;

-- The owner must be able to hand function ownership to sb_auth (ALTER ... OWNER TO).
DO $$
BEGIN
  EXECUTE format('GRANT sb_auth TO %I', current_user);
EXCEPTION WHEN duplicate_object OR invalid_grant_operation THEN NULL;
END $$;

REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO sb_api, sb_auth, sb_jobs;

CREATE SCHEMA app;
REVOKE ALL ON SCHEMA app FROM PUBLIC;
GRANT USAGE ON SCHEMA app TO sb_api, sb_auth, sb_jobs;

-- Time-ordered UUIDs (version 7): index-friendly and usable as a pagination cursor.
-- Written in SQL because Aurora's Postgres versions predate the built-in uuidv7().
CREATE FUNCTION app.uuid_v7() RETURNS uuid
LANGUAGE sql VOLATILE PARALLEL SAFE AS $$
  SELECT encode(
    set_bit(set_bit(
      overlay(uuid_send(gen_random_uuid())
              PLACING substring(int8send((extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3)
              FROM 1 FOR 6),
      52, 1), 53, 1),
    'hex')::uuid
$$;

-- Tenant context: transaction-local settings written by the Worker's request entry point.
-- '' (what current_setting returns after a local setting ended) and NULL both mean "no
-- context", and every policy compares with =, so no context matches no rows.
CREATE FUNCTION app.current_customer_id() RETURNS uuid
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT nullif(current_setting('app.customer_id', true), '')::uuid
$$;

GRANT EXECUTE ON FUNCTION app.uuid_v7() TO sb_api, sb_jobs;
GRANT EXECUTE ON FUNCTION app.current_customer_id() TO sb_api, sb_auth, sb_jobs;
