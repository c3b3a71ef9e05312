-- Platform tables written by scheduled jobs and queue consumers (role sb_jobs). They hold no
-- tenant data, so they carry no customer_id and no RLS; the request role cannot touch them.

CREATE TABLE job_runs (
  id          uuid PRIMARY KEY DEFAULT app.uuid_v7(),
  job         text NOT NULL,
  cron        text,
  status      text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
  detail      jsonb NOT NULL DEFAULT '{}',
  started_at  timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz
);
CREATE INDEX job_runs_job_idx ON job_runs (job, started_at DESC);

-- What the events consumer received: one row per queue message id (redeliveries are no-ops).
CREATE TABLE queue_receipts (
  message_id  text PRIMARY KEY,
  queue       text NOT NULL,
  event_type  text NOT NULL,
  body        jsonb NOT NULL,
  attempts    integer NOT NULL CHECK (attempts >= 1),
  received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX queue_receipts_received_idx ON queue_receipts (received_at);

GRANT SELECT, INSERT, UPDATE, DELETE ON job_runs, queue_receipts TO sb_jobs;
