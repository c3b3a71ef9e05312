-- Exports run as queue messages, one bounded slice each (docs/exports-closure.md, "Resuming"):
-- `progress` is the cursor inside the table being written (its last key, rows so far and the R2
-- multipart upload's parts), `step` counts committed slices so a redelivered or duplicate
-- message for an older step does nothing, `lease_until` keeps two consumers off the same slice,
-- and `updated_at` lets the minute sweep find an export whose chain of messages broke.
ALTER TABLE customer_exports
  ADD COLUMN progress    jsonb,
  ADD COLUMN step        integer NOT NULL DEFAULT 0 CHECK (step >= 0),
  ADD COLUMN lease_until timestamptz,
  ADD COLUMN updated_at  timestamptz NOT NULL DEFAULT now();
GRANT UPDATE (progress, step, lease_until, updated_at) ON customer_exports TO sb_api;
CREATE INDEX customer_exports_unfinished_idx ON customer_exports (updated_at) WHERE status IN ('pending', 'running');

-- The sweep (jobs role) reads unfinished exports of every customer to re-queue stalled ones.
SELECT app.grant_jobs_access('customer_exports', ARRAY['SELECT']);
