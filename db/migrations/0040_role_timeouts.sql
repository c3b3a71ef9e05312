-- Timeouts per login role, so a slow or stuck statement is cancelled by the server, never left
-- running after its request gave up (the Worker's client-side timeout is a little longer and
-- only matters when the server cannot answer at all). Role-level settings apply at session
-- start, which pooling proxies (RDS Proxy) preserve without pinning.
-- sb_api: requests. idle_in_transaction ends a transaction whose Worker vanished mid-request,
-- so it cannot hold row locks (e.g. an account reservation) for long.
ALTER ROLE sb_api SET statement_timeout = '5s';
ALTER ROLE sb_api SET lock_timeout = '3s';
ALTER ROLE sb_api SET idle_in_transaction_session_timeout = '15s';
-- sb_analytics: portal-sized reports.
ALTER ROLE sb_analytics SET statement_timeout = '30s';
ALTER ROLE sb_analytics SET idle_in_transaction_session_timeout = '60s';
-- sb_jobs: set-based batches (billing, sweeps) are bigger but still bounded.
ALTER ROLE sb_jobs SET statement_timeout = '5min';
ALTER ROLE sb_jobs SET idle_in_transaction_session_timeout = '10min';
