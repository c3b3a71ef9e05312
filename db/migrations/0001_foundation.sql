-- Foundation: roles, schemas, id generation, the signed tenant context and the helper that
-- secures a tenant table.
--
-- Roles (cluster-wide names; created NOLOGIN here, given a login password by the environment):
--   the migrating role (sb_owner locally) owns every object; RLS binds it too (FORCE);
--   sb_api        the Worker's request role: not owner, NOBYPASSRLS, only the grants it needs;
--   sb_analytics  read-only reporting role, bound by RLS like sb_api (needs a signed context);
--   sb_jobs       cron and queue consumers; its own per-table policies for cross-tenant work;
--                 a different login that no request handler holds;
--   sb_auth       never logs in: owns the SECURITY DEFINER API-key lookup;
--   sb_context    never logs in: owns the context verification and reads the context keys.
DO $$
DECLARE r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['sb_api', 'sb_analytics', 'sb_jobs', 'sb_auth', 'sb_context'] LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
      EXECUTE format('CREATE ROLE %I NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS NOINHERIT', r);
    END IF;
  END LOOP;
END $$;

CREATE EXTENSION IF NOT EXISTS pgcrypto;

REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO sb_api, sb_analytics, sb_jobs, sb_auth, sb_context;

CREATE SCHEMA app;
REVOKE ALL ON SCHEMA app FROM PUBLIC;
GRANT USAGE ON SCHEMA app TO sb_api, sb_analytics, sb_jobs, sb_auth, sb_context;

-- Secrets no login role can read: only sb_context (through app.context()) and the owner.
CREATE SCHEMA app_private;
REVOKE ALL ON SCHEMA app_private FROM PUBLIC;
GRANT USAGE ON SCHEMA app_private TO sb_context;

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
GRANT EXECUTE ON FUNCTION app.uuid_v7() TO sb_api, sb_jobs;

-- Signed tenant context.
--
-- The Worker starts each request's transaction with two transaction-local settings:
--   app.context      JSON {"kid","cid"(customer),"uid"(user|null),"role","sa"(super admin),"exp"}
--   app.context_sig  hex HMAC-SHA256 of exactly that text, with the key named by kid.
-- Every policy reads the context through app.context(), which verifies the signature with a key
-- that only sb_context can read. So a SQL injection that runs set_config('app.context', …)
-- cannot switch tenant: it cannot sign. Settings are transaction-local (set_config(…, true)), die
-- with the transaction, and cannot leak through a transaction-pooling proxy.
-- No setting (or '', what a finished local setting reads as) = no context = no rows.
-- A setting that does not verify, or has expired, is an error, never "no filter".
CREATE TABLE app_private.context_keys (
  kid        text PRIMARY KEY,
  secret     bytea NOT NULL CHECK (length(secret) >= 32),
  created_at timestamptz NOT NULL DEFAULT now(),
  retired_at timestamptz
);
GRANT SELECT ON app_private.context_keys TO sb_context;

CREATE FUNCTION app.context() RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
  raw text := current_setting('app.context', true);
  sig text := current_setting('app.context_sig', true);
  ctx jsonb;
  key bytea;
BEGIN
  IF raw IS NULL OR raw = '' THEN
    RETURN NULL;
  END IF;
  BEGIN
    ctx := raw::jsonb;
  EXCEPTION WHEN others THEN
    RAISE EXCEPTION 'tenant context is malformed' USING ERRCODE = '28000';
  END;
  SELECT k.secret INTO key FROM app_private.context_keys k WHERE k.kid = ctx->>'kid' AND k.retired_at IS NULL;
  IF key IS NULL OR sig IS NULL OR sig !~ '^[0-9a-f]{64}$'
     OR hmac(convert_to(raw, 'UTF8'), key, 'sha256') <> decode(sig, 'hex') THEN
    RAISE EXCEPTION 'tenant context signature is invalid' USING ERRCODE = '28000';
  END IF;
  IF (ctx->>'exp')::bigint < extract(epoch FROM now()) THEN
    RAISE EXCEPTION 'tenant context has expired' USING ERRCODE = '28000';
  END IF;
  RETURN ctx;
END
$$;

CREATE FUNCTION app.current_customer_id() RETURNS uuid
LANGUAGE sql STABLE AS $$ SELECT (app.context()->>'cid')::uuid $$;

CREATE FUNCTION app.current_user_id() RETURNS uuid
LANGUAGE sql STABLE AS $$ SELECT (app.context()->>'uid')::uuid $$;

CREATE FUNCTION app.current_role() RETURNS text
LANGUAGE sql STABLE AS $$ SELECT app.context()->>'role' $$;

CREATE FUNCTION app.is_super_admin() RETURNS boolean
LANGUAGE sql STABLE AS $$ SELECT coalesce((app.context()->>'sa')::boolean, false) $$;

CREATE FUNCTION app.has_role(p_role text) RETURNS boolean
LANGUAGE sql STABLE AS $$ SELECT app.current_role() = p_role OR app.is_super_admin() $$;

-- Hands a SECURITY DEFINER function to one of the never-login definer roles. The change needs
-- the owner to be a member of that role and the role to have CREATE on the schema, both only for
-- the moment of the change: a lasting membership would give the owner the role's policies.
CREATE FUNCTION app.hand_function_to(p_function regprocedure, p_role name) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('GRANT %I TO %I', p_role, current_user);
  EXECUTE format('GRANT CREATE ON SCHEMA app TO %I', p_role);
  EXECUTE format('ALTER FUNCTION %s OWNER TO %I', p_function, p_role);
  EXECUTE format('REVOKE CREATE ON SCHEMA app FROM %I', p_role);
  EXECUTE format('REVOKE %I FROM %I', p_role, current_user);
END
$$;
REVOKE ALL ON FUNCTION app.hand_function_to(regprocedure, name) FROM PUBLIC;

SELECT app.hand_function_to('app.context()', 'sb_context');
REVOKE ALL ON FUNCTION app.context() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.context(), app.current_customer_id(), app.current_user_id(), app.current_role(),
  app.is_super_admin(), app.has_role(text) TO sb_api, sb_analytics, sb_jobs, sb_auth;

-- Secures a tenant-owned table the one way every tenant table must be secured:
-- ENABLE + FORCE RLS, one policy per operation keyed on the verified context (wrapped in
-- SELECT so it is evaluated once per statement), and an index that leads with customer_id.
-- Grants stay explicit in each migration: what sb_api may do differs per table.
CREATE FUNCTION app.secure_tenant_table(p_table regclass, p_key text DEFAULT 'customer_id') RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  t text := p_table::text;
  name text := (SELECT relname FROM pg_class WHERE oid = p_table);
  pred text := format('%I = (SELECT app.current_customer_id())', p_key);
BEGIN
  EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', t);
  EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', t);
  EXECUTE format('CREATE POLICY %I ON %s FOR SELECT USING (%s)', name || '_tenant_select', t, pred);
  EXECUTE format('CREATE POLICY %I ON %s FOR INSERT WITH CHECK (%s)', name || '_tenant_insert', t, pred);
  EXECUTE format('CREATE POLICY %I ON %s FOR UPDATE USING (%s) WITH CHECK (%s)', name || '_tenant_update', t, pred, pred);
  EXECUTE format('CREATE POLICY %I ON %s FOR DELETE USING (%s)', name || '_tenant_delete', t, pred);
  IF NOT EXISTS (
    SELECT 1 FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
    WHERE i.indrelid = p_table AND a.attname = p_key
  ) THEN
    EXECUTE format('CREATE INDEX %I ON %s (%I)', name || '_' || p_key || '_idx', t, p_key);
  END IF;
END
$$;
REVOKE ALL ON FUNCTION app.secure_tenant_table(regclass, text) FROM PUBLIC;

-- Cross-tenant access for the scheduled jobs, table by table: a policy for sb_jobs alone.
CREATE FUNCTION app.grant_jobs_access(p_table regclass, p_commands text[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  cmd text;
  name text := (SELECT relname FROM pg_class WHERE oid = p_table);
BEGIN
  FOREACH cmd IN ARRAY p_commands LOOP
    EXECUTE format('GRANT %s ON %s TO sb_jobs', cmd, p_table);
    IF cmd = 'INSERT' THEN
      EXECUTE format('CREATE POLICY %I ON %s FOR INSERT TO sb_jobs WITH CHECK (true)', name || '_jobs_insert', p_table);
    ELSE
      EXECUTE format('CREATE POLICY %I ON %s FOR %s TO sb_jobs USING (true)', name || '_jobs_' || lower(cmd), p_table, cmd);
    END IF;
  END LOOP;
END
$$;
REVOKE ALL ON FUNCTION app.grant_jobs_access(regclass, text[]) FROM PUBLIC;
