-- Principal-bound security (docs/security.md): what one credential of a tenant may not take from
-- another credential of the same tenant.
--
-- 1. An idempotency key's stored response belongs to the credential that caused it: `principal`
--    names it ('key:<api key id>' for a key and its session tokens, 'user:<user id>' for a
--    user's sessions). Rows stored before this column existed have no principal and are
--    replayed to nobody; they expire within 24 hours.

ALTER TABLE idempotency_keys ADD COLUMN principal text;
