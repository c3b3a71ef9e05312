-- Audit trail (seeds 000, 003; SPEC §2): append-only for every role, one hash chain per customer.
-- Rows are written in the same transaction as the change they record.

CREATE TABLE audit_events (
  id            uuid PRIMARY KEY DEFAULT app.uuid_v7(),
  customer_id   uuid NOT NULL REFERENCES customers (id) ON DELETE RESTRICT,
  seq           bigint NOT NULL,
  occurred_at   timestamptz NOT NULL DEFAULT now(),
  actor_type    text NOT NULL CHECK (actor_type IN ('user', 'api_key', 'system', 'staff')),
  actor_id      text,
  action        text NOT NULL CHECK (action ~ '^[a-z_]+(\.[a-z_]+)+$'),
  resource_type text NOT NULL,
  resource_id   text,
  request_id    text,
  ip            inet,
  user_agent    text,
  summary       text NOT NULL,
  data          jsonb NOT NULL DEFAULT '{}',
  prev_hash     bytea NOT NULL,
  hash          bytea NOT NULL,
  UNIQUE (customer_id, seq)
);
CREATE INDEX audit_events_customer_idx ON audit_events (customer_id, id DESC);
CREATE INDEX audit_events_resource_idx ON audit_events (customer_id, resource_type, resource_id);

-- The head of each customer's chain. Locking the head row serialises appends per customer,
-- so concurrent transactions can never fork the chain.
CREATE TABLE app_private.audit_chain_heads (
  customer_id uuid PRIMARY KEY,
  seq         bigint NOT NULL,
  hash        bytea NOT NULL
);

-- Canonical form: a fixed field order, times in UTC with microseconds, jsonb's own ordering.
CREATE FUNCTION app.audit_canonical(e audit_events) RETURNS bytea
LANGUAGE sql IMMUTABLE AS $$
  SELECT convert_to(concat_ws(E'\x1f',
    e.id::text, e.customer_id::text, e.seq::text,
    to_char(e.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
    e.actor_type, coalesce(e.actor_id, ''), e.action, e.resource_type, coalesce(e.resource_id, ''),
    coalesce(e.request_id, ''), coalesce(host(e.ip), ''), coalesce(e.user_agent, ''), e.summary, e.data::text,
    encode(e.prev_hash, 'hex')), 'UTF8')
$$;

CREATE FUNCTION app.audit_chain_append() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
  head app_private.audit_chain_heads;
BEGIN
  INSERT INTO app_private.audit_chain_heads (customer_id, seq, hash)
  VALUES (NEW.customer_id, 0, decode(repeat('00', 32), 'hex'))
  ON CONFLICT (customer_id) DO NOTHING;
  SELECT * INTO head FROM app_private.audit_chain_heads WHERE customer_id = NEW.customer_id FOR UPDATE;
  NEW.seq := head.seq + 1;
  NEW.occurred_at := date_trunc('microseconds', coalesce(NEW.occurred_at, now()));
  NEW.prev_hash := head.hash;
  NEW.hash := digest(app.audit_canonical(NEW), 'sha256');
  UPDATE app_private.audit_chain_heads SET seq = NEW.seq, hash = NEW.hash WHERE customer_id = NEW.customer_id;
  RETURN NEW;
END
$$;

CREATE FUNCTION app.audit_reject_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_events is append-only (% rejected)', TG_OP USING ERRCODE = '42501';
END
$$;

CREATE TRIGGER audit_events_chain BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION app.audit_chain_append();
CREATE TRIGGER audit_events_no_update_delete BEFORE UPDATE OR DELETE ON audit_events FOR EACH ROW EXECUTE FUNCTION app.audit_reject_change();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events FOR EACH STATEMENT EXECUTE FUNCTION app.audit_reject_change();

-- Walks the caller's chain (RLS decides whose) and reports the first broken link.
CREATE FUNCTION app.verify_audit_chain()
RETURNS TABLE (valid boolean, checked bigint, first_broken_seq bigint, first_broken_id uuid, reason text)
LANGUAGE plpgsql STABLE AS $$
DECLARE
  e audit_events;
  expected_prev bytea := decode(repeat('00', 32), 'hex');
  expected_seq bigint := 1;
  n bigint := 0;
BEGIN
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

SELECT app.secure_tenant_table('audit_events');
-- Append and read only: no UPDATE or DELETE grant for any login role (and the trigger stops the owner).
GRANT SELECT, INSERT ON audit_events TO sb_api;
GRANT SELECT ON audit_events TO sb_analytics;
SELECT app.grant_jobs_access('audit_events', ARRAY['INSERT']);
GRANT EXECUTE ON FUNCTION app.verify_audit_chain(), app.audit_canonical(audit_events) TO sb_api, sb_analytics;

-- The readable activity feed: audit events without the chain internals. security_invoker makes
-- the view apply the caller's RLS, not its owner's.
CREATE VIEW activity_feed WITH (security_invoker = true) AS
  SELECT id, customer_id, occurred_at, actor_type, actor_id, action, resource_type, resource_id, summary
  FROM audit_events;
GRANT SELECT ON activity_feed TO sb_api, sb_analytics;
