-- Audit retention (docs/audit-retention.md): events older than the hot window move to R2 as one
-- gzip JSON Lines object per customer and UTC day; audit_archives is the manifest that keeps the
-- chain verifiable across the boundary (each object's first prev_hash and last hash), and the only
-- thing that lets a hot audit row be deleted. Archived objects past the tier's retention are
-- deleted unless the customer is under a legal hold (audit_legal_holds, set by staff).

CREATE TABLE audit_archives (
  id                uuid PRIMARY KEY DEFAULT app.uuid_v7(),
  customer_id       uuid NOT NULL REFERENCES customers (id) ON DELETE RESTRICT,
  day               date NOT NULL,
  jurisdiction      text NOT NULL CHECK (jurisdiction IN ('us', 'eu', 'fedramp')),
  object_key        text NOT NULL,
  first_seq         bigint NOT NULL,
  last_seq          bigint NOT NULL,
  event_count       bigint NOT NULL CHECK (event_count = last_seq - first_seq + 1),
  first_prev_hash   bytea NOT NULL CHECK (length(first_prev_hash) = 32),
  last_hash         bytea NOT NULL CHECK (length(last_hash) = 32),
  first_occurred_at timestamptz NOT NULL,
  last_occurred_at  timestamptz NOT NULL,
  sha256            bytea NOT NULL CHECK (length(sha256) = 32),
  bytes             bigint NOT NULL,
  archived_at       timestamptz NOT NULL DEFAULT now(),
  -- Set once the hot rows the object holds are deleted; expired_at once retention deleted the object.
  purged_at         timestamptz,
  expired_at        timestamptz,
  UNIQUE (customer_id, first_seq),
  CHECK (last_seq >= first_seq)
);
CREATE INDEX audit_archives_customer_seq_idx ON audit_archives (customer_id, last_seq);
-- The job finds each customer's events past the hot window, and export reads a period, by time.
CREATE INDEX audit_events_customer_occurred_idx ON audit_events (customer_id, occurred_at);
SELECT app.secure_tenant_table('audit_archives');
GRANT SELECT ON audit_archives TO sb_api;
SELECT app.grant_jobs_access('audit_archives', ARRAY['SELECT', 'INSERT', 'UPDATE']);

CREATE TABLE audit_legal_holds (
  customer_id uuid PRIMARY KEY REFERENCES customers (id) ON DELETE RESTRICT,
  reason      text NOT NULL CHECK (length(reason) BETWEEN 1 AND 1000),
  set_by      uuid,
  set_at      timestamptz NOT NULL DEFAULT now()
);
SELECT app.secure_tenant_table('audit_legal_holds');
GRANT SELECT, INSERT, UPDATE, DELETE ON audit_legal_holds TO sb_api;
-- Only staff (a super-admin context) may place or lift a hold, whatever route calls it.
CREATE POLICY audit_legal_holds_staff_insert ON audit_legal_holds AS RESTRICTIVE FOR INSERT TO sb_api
  WITH CHECK (app.is_super_admin());
CREATE POLICY audit_legal_holds_staff_update ON audit_legal_holds AS RESTRICTIVE FOR UPDATE TO sb_api
  USING (app.is_super_admin());
CREATE POLICY audit_legal_holds_staff_delete ON audit_legal_holds AS RESTRICTIVE FOR DELETE TO sb_api
  USING (app.is_super_admin());
SELECT app.grant_jobs_access('audit_legal_holds', ARRAY['SELECT']);

-- The archive job reads hot events of every customer and deletes the archived ones.
SELECT app.grant_jobs_access('audit_events', ARRAY['SELECT', 'DELETE']);

-- Still append-only, except for a row a manifest entry covers: its content is in R2 and was read
-- back before the manifest row was written (worker/audit/archive.ts).
SELECT app.reclaim_function('app.audit_reject_change()');
CREATE OR REPLACE FUNCTION app.audit_reject_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' AND EXISTS (
    SELECT 1 FROM audit_archives a
    WHERE a.customer_id = OLD.customer_id AND OLD.seq BETWEEN a.first_seq AND a.last_seq
  ) THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION 'audit_events is append-only (% rejected)', TG_OP USING ERRCODE = '42501';
END
$$;
SELECT app.install_function('app.audit_reject_change()', current_user, ARRAY[]::name[]);

-- The hot chain now starts where the archive ends: its first event links to the last archived hash.
SELECT app.reclaim_function('app.verify_audit_chain()');
CREATE OR REPLACE FUNCTION app.verify_audit_chain()
RETURNS TABLE (valid boolean, checked bigint, first_broken_seq bigint, first_broken_id uuid, reason text)
LANGUAGE plpgsql STABLE AS $$
DECLARE
  e audit_events;
  expected_prev bytea := decode(repeat('00', 32), 'hex');
  expected_seq bigint := 1;
  first_hot bigint;
  n bigint := 0;
BEGIN
  SELECT min(seq) INTO first_hot FROM audit_events WHERE customer_id = app.current_customer_id();
  IF first_hot > 1 THEN
    SELECT a.last_hash, a.last_seq + 1 INTO expected_prev, expected_seq FROM audit_archives a
    WHERE a.customer_id = app.current_customer_id() AND a.last_seq = first_hot - 1;
    IF expected_seq IS NULL THEN
      expected_prev := decode(repeat('00', 32), 'hex');
      expected_seq := 1;
    END IF;
  END IF;
  FOR e IN SELECT * FROM audit_events WHERE customer_id = app.current_customer_id() ORDER BY seq LOOP
    n := n + 1;
    IF e.seq <> expected_seq THEN
      RETURN QUERY SELECT false, n, e.seq, e.id, format('sequence gap: expected %s', expected_seq); RETURN;
    ELSIF e.prev_hash <> expected_prev THEN
      RETURN QUERY SELECT false, n, e.seq, e.id, 'prev_hash does not match the previous event'; RETURN;
    ELSIF e.hash <> digest(app.audit_canonical(e), 'sha256') THEN
      RETURN QUERY SELECT false, n, e.seq, e.id, 'hash does not match the event content'; RETURN;
    END IF;
    expected_prev := e.hash;
    expected_seq := e.seq + 1;
  END LOOP;
  RETURN QUERY SELECT true, n, NULL::bigint, NULL::uuid, NULL::text;
END
$$;
SELECT app.install_function('app.verify_audit_chain()', current_user, ARRAY['sb_api', 'sb_analytics']::name[]);
