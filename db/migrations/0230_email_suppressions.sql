-- Addresses SES reported as undeliverable (docs/email-suppressions.md). SES publishes bounce and
-- complaint events to an SNS topic (terraform/modules/email); the topic POSTs them, signed, to
-- POST /v1/email/ses-notifications, which verifies the signature and records them here. The
-- email sender skips a suppressed address (email_messages.status 'suppressed') and never retries.
--
-- Platform tables: an address is suppressed for every customer at once, so there is no
-- customer_id. The address is kept as written (lowercased), not hashed: staff must see which
-- address bounced to remove it when its owner fixed their mailbox. Only the SNS route writes
-- (through app.record_ses_notification, below); staff read and delete under a signed
-- super_admin context; the sender (jobs role) reads.
CREATE TABLE email_suppressions (
  address           text PRIMARY KEY CHECK (address = lower(address) AND length(address) BETWEEN 3 AND 320),
  reason            text NOT NULL CHECK (reason IN ('bounce', 'complaint')),
  -- The SNS MessageId of the notification that marked it.
  source_message_id text NOT NULL CHECK (length(source_message_id) BETWEEN 1 AND 100),
  -- SES's words for it: bounce subtype and diagnostic, or the complaint feedback type.
  detail            text CHECK (length(detail) <= 500),
  created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX email_suppressions_created_idx ON email_suppressions (created_at DESC, address);

-- Every SNS notification applied, by MessageId: SNS delivers at least once, and a captured
-- message replayed later is applied once.
CREATE TABLE ses_notifications (
  message_id  text PRIMARY KEY CHECK (length(message_id) BETWEEN 1 AND 100),
  topic_arn   text NOT NULL CHECK (length(topic_arn) BETWEEN 1 AND 256),
  kind        text NOT NULL CHECK (length(kind) BETWEEN 1 AND 40),
  received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ses_notifications_received_idx ON ses_notifications (received_at);

ALTER TABLE email_suppressions ENABLE ROW LEVEL SECURITY;
ALTER TABLE email_suppressions FORCE ROW LEVEL SECURITY;
ALTER TABLE ses_notifications ENABLE ROW LEVEL SECURITY;
ALTER TABLE ses_notifications FORCE ROW LEVEL SECURITY;

-- Staff (signed super_admin context) list and remove suppressions; nothing else on sb_api.
GRANT SELECT, DELETE ON email_suppressions TO sb_api;
CREATE POLICY email_suppressions_staff_select ON email_suppressions FOR SELECT TO sb_api USING (app.is_super_admin());
CREATE POLICY email_suppressions_staff_delete ON email_suppressions FOR DELETE TO sb_api USING (app.is_super_admin());

-- The jobs role: the sender reads suppressions; it owns the recording function below.
GRANT SELECT, INSERT ON email_suppressions, ses_notifications TO sb_jobs;
CREATE POLICY email_suppressions_jobs ON email_suppressions FOR ALL TO sb_jobs USING (true) WITH CHECK (true);
CREATE POLICY ses_notifications_jobs ON ses_notifications FOR ALL TO sb_jobs USING (true) WITH CHECK (true);

-- Records one verified SNS notification, once per MessageId; marks p_addresses (lowercased)
-- with p_reason, or nothing when p_reason is NULL (a transient bounce, another event). The Worker
-- calls it only after verifying the SNS signature and the topic. Returns {duplicate, marked}.
CREATE FUNCTION app.record_ses_notification(
  p_message_id text, p_topic_arn text, p_kind text, p_reason text, p_addresses text[], p_detail text
) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  v_marked integer := 0;
BEGIN
  IF p_reason IS NOT NULL AND p_reason NOT IN ('bounce', 'complaint') THEN
    RAISE EXCEPTION 'unknown suppression reason %', p_reason USING ERRCODE = '22023';
  END IF;
  IF cardinality(p_addresses) > 100 THEN
    RAISE EXCEPTION 'too many addresses in one notification' USING ERRCODE = '22023';
  END IF;
  INSERT INTO ses_notifications (message_id, topic_arn, kind) VALUES (p_message_id, p_topic_arn, p_kind)
  ON CONFLICT (message_id) DO NOTHING;
  IF NOT FOUND THEN
    RETURN jsonb_build_object('duplicate', true, 'marked', 0);
  END IF;
  IF p_reason IS NOT NULL THEN
    WITH marked AS (
      INSERT INTO email_suppressions (address, reason, source_message_id, detail)
      SELECT DISTINCT lower(btrim(a)), p_reason, p_message_id, left(p_detail, 500)
      FROM unnest(coalesce(p_addresses, ARRAY[]::text[])) a
      WHERE length(btrim(a)) BETWEEN 3 AND 320 AND strpos(a, '@') > 1
      ON CONFLICT (address) DO NOTHING
      RETURNING 1
    )
    SELECT count(*) INTO v_marked FROM marked;
  END IF;
  RETURN jsonb_build_object('duplicate', false, 'marked', v_marked);
END
$$;
SELECT app.install_function('app.record_ses_notification(text, text, text, text, text[], text)', 'sb_jobs',
                            ARRAY['sb_api']::name[]);

-- The sender records a skipped email as 'suppressed' (final: never retried).
ALTER TABLE email_messages DROP CONSTRAINT email_messages_status_check;
ALTER TABLE email_messages ADD CONSTRAINT email_messages_status_check
  CHECK (status IN ('pending', 'sent', 'failed', 'suppressed'));

-- GET /v1/admin/status shows email counts beside the outbox's: aggregates only, staff only, read
-- by sb_status like app.platform_status() (0030).
GRANT SELECT (status, created_at) ON email_messages TO sb_status;
CREATE POLICY email_messages_status_select ON email_messages FOR SELECT TO sb_status USING (true);
GRANT SELECT (created_at) ON email_suppressions TO sb_status;
CREATE POLICY email_suppressions_status_select ON email_suppressions FOR SELECT TO sb_status USING (true);

CREATE FUNCTION app.platform_email_status() RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
  IF NOT coalesce(app.is_super_admin(), false) THEN
    RAISE EXCEPTION 'platform status is for SecureBase staff' USING ERRCODE = '42501';
  END IF;
  RETURN (
    SELECT jsonb_build_object(
      'pending', count(*) FILTER (WHERE status = 'pending'),
      'failed_24h', count(*) FILTER (WHERE status = 'failed' AND created_at > now() - interval '24 hours'),
      'suppressed_24h', count(*) FILTER (WHERE status = 'suppressed' AND created_at > now() - interval '24 hours'),
      'suppressed_addresses', (SELECT count(*) FROM email_suppressions))
    FROM email_messages
  );
END
$$;
SELECT app.install_function('app.platform_email_status()', 'sb_status', ARRAY['sb_api']::name[]);
