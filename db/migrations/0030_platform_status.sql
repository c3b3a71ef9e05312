-- Platform status for SecureBase staff (GET /v1/admin/status): what an operator checks first.
-- It needs counts across every tenant (unpublished outbox events, dead webhook deliveries) and
-- the jobs' heartbeats in job_runs, which the request role may not read row by row. So one
-- SECURITY DEFINER function returns only aggregates, refuses any caller whose signed context is
-- not super_admin, and is owned by sb_status: a never-login role whose only rights are SELECT on
-- those tables (through policies scoped to it) — no request role gains a cross-tenant read.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'sb_status') THEN
    CREATE ROLE sb_status NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS NOINHERIT;
  END IF;
END $$;

GRANT USAGE ON SCHEMA public, app TO sb_status;
GRANT EXECUTE ON FUNCTION app.context(), app.is_super_admin() TO sb_status;
GRANT SELECT ON job_runs, queue_receipts TO sb_status;
GRANT SELECT (created_at, published_at) ON outbox_events TO sb_status;
GRANT SELECT (status) ON webhook_deliveries TO sb_status;
CREATE POLICY outbox_events_status_select ON outbox_events FOR SELECT TO sb_status USING (true);
CREATE POLICY webhook_deliveries_status_select ON webhook_deliveries FOR SELECT TO sb_status USING (true);

CREATE FUNCTION app.platform_status() RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
  IF NOT coalesce(app.is_super_admin(), false) THEN
    RAISE EXCEPTION 'platform status is for SecureBase staff' USING ERRCODE = '42501';
  END IF;
  RETURN jsonb_build_object(
    'jobs', (
      SELECT coalesce(jsonb_agg(to_jsonb(last_run) ORDER BY last_run.job), '[]'::jsonb)
      FROM (
        SELECT DISTINCT ON (job) job, cron, status, started_at, finished_at
        FROM job_runs ORDER BY job, started_at DESC
      ) last_run),
    'outbox', (
      SELECT jsonb_build_object('unpublished', count(*), 'oldest_unpublished_at', min(created_at))
      FROM outbox_events WHERE published_at IS NULL),
    'dead_webhook_deliveries', (SELECT count(*) FROM webhook_deliveries WHERE status = 'dead'),
    'queue_redeliveries_24h', (SELECT count(*) FROM queue_receipts WHERE attempts > 1 AND received_at > now() - interval '24 hours'),
    'checked_at', now()
  );
END
$$;
SELECT app.hand_function_to('app.platform_status()', 'sb_status');
REVOKE ALL ON FUNCTION app.platform_status() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.platform_status() TO sb_api;
