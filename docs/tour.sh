#!/usr/bin/env bash
# A walk through the API against a running `npm run dev`, step by step:
#   bash docs/tour.sh                                  (BASE defaults to http://127.0.0.1:8787)
#   BASE=http://127.0.0.1:8795 DEV_SINK_PORT=54397 bash docs/tour.sh
# It reads the demo key and logins from .data/ (DEV_DATA_DIR to use another directory), checks
# the HTTP status of every call, waits for asynchronous effects (queue batches, cron jobs) by
# polling what they change within TOUR_WAIT seconds, and stops at the first error.
# `npm run tour` starts its own stack on free ports, runs this script and stops the stack (CI).
set -euo pipefail
cd "$(dirname "$0")/.."

BASE=${BASE:-http://127.0.0.1:8787}
DATA=${DEV_DATA_DIR:-.data}
SINK=${SINK:-http://127.0.0.1:${DEV_SINK_PORT:-54390}} # the local sink: email (SES API) and webhook receivers
WAIT=${TOUR_WAIT:-30}
RUN=$(date +%s)                                         # makes names unique across runs
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

fail() {
  echo "tour: FAILED: $*" >&2
  exit 1
}
step() { printf '\n== %s\n' "$*"; }
say() { printf '   %s\n' "$*"; }

# api TOKEN STATUS METHOD PATH [JSON_BODY] [curl args…]: one call, which must answer STATUS.
# TOKEN "-" sends no Authorization header. The response body is left in $BODY, its headers in
# $TMP/headers.
api() {
  local token=$1 expect=$2 method=$3 path=$4 data=${5-}
  shift 4
  [[ $# -gt 0 ]] && shift
  local args=(-sS -X "$method" -o "$TMP/body" -D "$TMP/headers" -w '%{http_code}')
  [[ $token != - ]] && args+=(-H "Authorization: Bearer $token")
  [[ -n $data ]] && args+=(-H 'content-type: application/json' --data "$data")
  [[ -n ${POLLING-} ]] || say "$method $path"
  local status
  status=$(curl "${args[@]}" "$@" "$BASE$path") || fail "$method $BASE$path: no answer (is \`npm run dev\` running there?)"
  BODY=$(cat "$TMP/body")
  [[ $status == "$expect" ]] || fail "$method $path answered HTTP $status, expected $expect: ${BODY:0:600}"
}

# json FIELD [JSON]: one field of a JSON document ($BODY by default), by a dotted path
# (`data.0.id`, `data.length`). A missing field is an error, never "undefined".
json() {
  node -e '
    const [path, text] = process.argv.slice(1);
    let value;
    try { value = JSON.parse(text); } catch { console.error(`tour: not JSON: ${text.slice(0, 300)}`); process.exit(1); }
    for (const key of path.split(".")) {
      if (value == null || !(key in Object(value))) { console.error(`tour: no field "${path}" in ${text.slice(0, 600)}`); process.exit(1); }
      value = value[key];
    }
    console.log(typeof value === "string" ? value : JSON.stringify(value));
  ' "$1" "${2-$BODY}"
}

# eventually DESCRIPTION COMMAND…: runs COMMAND every half second until it succeeds, for at most
# $WAIT seconds: for effects that happen after the response (queue batches, cron jobs). set -e
# does not apply inside COMMAND (it is a condition), so COMMAND ends a failed step with `exit 1`.
eventually() {
  local what=$1 deadline=$((SECONDS + WAIT))
  shift
  say "waiting for $what…"
  until POLLING=1 "$@"; do
    ((SECONDS < deadline)) || fail "no $what after ${WAIT}s"
    sleep 0.5
  done
}

[[ -f $DATA/demo-keys.json && -f $DATA/demo-users.json ]] || fail "no $DATA/demo-keys.json: start \`npm run dev\` first"
KEY=$(json 0.key "$(cat "$DATA/demo-keys.json")") # Acme Health's API key
USERS=$(cat "$DATA/demo-users.json")              # 0: Acme Health's admin; the super_admin is staff
STAFF_USER=$(node -p 'JSON.parse(process.argv[1]).findIndex((u) => u.superAdmin)' "$USERS")
((STAFF_USER >= 0)) || fail "no super_admin in $DATA/demo-users.json"
# totp SECRET: the current RFC 6238 code for a base32 secret, computed as an authenticator app would
totp() {
  node -e '
    const crypto = require("node:crypto");
    let bits = "";
    for (const ch of process.argv[1].replace(/=+$/, "")) bits += "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".indexOf(ch).toString(2).padStart(5, "0");
    const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
    const counter = Buffer.alloc(8);
    counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 30000)));
    const mac = crypto.createHmac("sha1", key).update(counter).digest();
    const at = mac[19] & 15;
    console.log(String((mac.readUInt32BE(at) & 0x7fffffff) % 1000000).padStart(6, "0"));
  ' "$1"
}
# totp_code INDEX: the code of a demo user's authenticator (users of customers that require MFA
# have a `totp_secret` in demo-users.json)
totp_code() { totp "$(node -p 'JSON.parse(process.argv[1])[process.argv[2]].totp_secret' "$USERS" "$1")"; }
# log_in INDEX: password login of a demo user, plus the second step when the answer is an MFA challenge
log_in() {
  api - 200 POST /v1/auth/login "$(login_body "$1")"
  if [[ $BODY == *'"mfa_token"'* ]]; then
    api - 200 POST /v1/auth/login/mfa "{\"mfa_token\":\"$(json mfa_token)\",\"code\":\"$(totp_code "$1")\"}"
  fi
}
login_body() { node -p 'const u = JSON.parse(process.argv[1])[process.argv[2]]; JSON.stringify({ email: u.email, password: u.password })' "$USERS" "$1"; }

step "Health and the OpenAPI document"
api - 200 GET /health
say "health: $(json status)"
api - 200 GET /openapi.json
say "OpenAPI $(json openapi), $(node -p 'Object.keys(JSON.parse(process.argv[1]).paths).length' "$BODY") paths; Swagger UI at $BASE/docs"

step "With Acme Health's API key: invoices, one page and one invoice"
api "$KEY" 200 GET "/v1/invoices?limit=1"
INVOICE=$(json data.0.id)
say "first page: 1 invoice, has_more=$(json has_more), next_cursor=$(json next_cursor)"
api "$KEY" 200 GET "/v1/invoices/$INVOICE"
say "invoice $(json number): $(json total_cents) cents, $(json line_items.length) line items"
api "$KEY" 200 GET /v1/invoices.csv
say "CSV export: $(wc -l <"$TMP/body") lines"

step "Exchange the key for a one-hour session token, and use it"
api "$KEY" 200 POST /v1/auth/token
KEY_TOKEN=$(json session_token)
api "$KEY_TOKEN" 200 GET /v1/invoices
say "$(json data.length) invoices with the session token"

step "Log in once as Acme Health's admin (this token is used to the end)"
log_in 0
TOKEN=$(json session_token)
api "$TOKEN" 200 GET /v1/me
ME=$(json user.id)
say "logged in as $(json user.email), role $(json user.role), $(json permissions.length) permissions"

step "API keys: create (retry-safe with Idempotency-Key), replay, list, rotate, revoke"
api "$TOKEN" 201 POST /v1/api-keys "{\"name\":\"tour-$RUN\",\"mode\":\"test\",\"scopes\":[\"invoices:read\"]}" -H "Idempotency-Key: tour-key-$RUN"
NEW_KEY_ID=$(json id)
say "created $(json prefix)… (the full key is shown once)"
api "$TOKEN" 201 POST /v1/api-keys "{\"name\":\"tour-$RUN\",\"mode\":\"test\",\"scopes\":[\"invoices:read\"]}" -H "Idempotency-Key: tour-key-$RUN"
[[ $(json id) == "$NEW_KEY_ID" ]] && grep -qi '^idempotent-replayed: true' "$TMP/headers" || fail "the retry was not a replay of the first answer"
say "the retry replayed the first answer (idempotent-replayed: true)"
api "$TOKEN" 200 GET /v1/api-keys
say "$(json data.length) keys listed"
api "$TOKEN" 201 POST "/v1/api-keys/$NEW_KEY_ID/rotate" '{"grace_period_seconds":3600}'
ROTATED_ID=$(json id)
api "$TOKEN" 200 DELETE "/v1/api-keys/$ROTATED_ID"
say "rotated (the old key works for an hour more), then revoked the replacement"

step "Notifications: the key's api_key.created reaches the admin after the queue's batch"
notified() {
  api "$TOKEN" 200 GET "/v1/notifications?limit=20"
  grep -q "API key tour-$RUN created" "$TMP/body"
}
eventually "the api_key.created notification" notified
say "notification: \"API key tour-$RUN created\" ($(json data.length) listed)"
api "$TOKEN" 200 GET /v1/notifications/preferences
api "$TOKEN" 200 PUT /v1/notifications/preferences '{"preferences":[{"event_type":"invoice.created","channel":"email","enabled":false}]}'
api "$TOKEN" 200 POST /v1/notifications/read-all
say "invoice emails switched off for this user; all notifications marked read"

step "Users and invites: invite, the email reaches the sink, the invitee accepts"
INVITEE="grace+$RUN@acme-health.example"
api "$TOKEN" 201 POST /v1/invites "{\"email\":\"$INVITEE\",\"role\":\"viewer\"}"
emailed() {
  curl -sSf "$SINK/emails" -o "$TMP/emails" || fail "the local sink does not answer at $SINK (set SINK or DEV_SINK_PORT)"
  grep -q "$INVITEE" "$TMP/emails"
}
eventually "the invite email in the sink ($SINK/emails)" emailed
# The token travels only in the invitee's email (the inviter never gets it): read the link there.
INVITE_TOKEN=$(node -e '
  const [to, file] = process.argv.slice(1);
  const mail = JSON.parse(require("node:fs").readFileSync(file, "utf8")).filter((e) => e.body.Destination.ToAddresses.includes(to)).at(-1);
  const token = /\/accept-invite\?token=([A-Za-z0-9_-]+)/.exec(mail.body.Content.Simple.Body.Text.Data)?.[1];
  if (!token) process.exit(1);
  console.log(token);
' "$INVITEE" "$TMP/emails") || fail "no accept link in the invite email to $INVITEE"
say "the invite email to $INVITEE carries the accept link"
api - 200 POST /v1/invites/accept "{\"token\":\"$INVITE_TOKEN\",\"name\":\"Grace Hopper\",\"password\":\"tour lanterns over quiet harbours\"}"
# Acme Health (healthcare) requires MFA: the new member gets an enrolment grant, not a session yet.
GRANT=$(json enrollment_token)
api "$GRANT" 201 POST /v1/me/mfa/totp
api "$GRANT" 200 POST /v1/me/mfa/totp/confirm "{\"code\":\"$(totp "$(json secret)")\"}"
say "the invitee enrolled an authenticator: $(json recovery_codes.length) recovery codes and a session"
api "$TOKEN" 200 GET "/v1/users?limit=100"
grep -q "$INVITEE" "$TMP/body" || fail "the accepted invitee is not among the users"
say "$INVITEE is a user now ($(json data.length) users listed)"

step "Webhooks: an endpoint on the sink's receiver, a test event, its delivery"
api "$TOKEN" 201 POST /v1/webhooks/endpoints "{\"url\":\"$SINK/webhooks/tour-$RUN\",\"event_types\":[\"api_key.created\"]}"
ENDPOINT=$(json id)
SECRET=$(json secret)
curl -sSf -X PUT "$SINK/webhooks/tour-$RUN" --data "{\"secrets\":[\"$SECRET\"]}" -o /dev/null ||
  fail "cannot configure the sink's receiver at $SINK"
say "endpoint $ENDPOINT; its whsec_ secret (shown once) given to the receiver to verify with"
api "$TOKEN" 202 POST "/v1/webhooks/endpoints/$ENDPOINT/test"
delivered() {
  api "$TOKEN" 200 GET "/v1/webhooks/endpoints/$ENDPOINT/deliveries?status=succeeded"
  local n
  n=$(json data.length) || exit 1
  ((n > 0))
}
eventually "a succeeded delivery in the endpoint's log" delivered
DELIVERY=$(json data.0.id)
api "$TOKEN" 200 GET "/v1/webhooks/deliveries/$DELIVERY"
say "delivery $(json event_type): $(json status), $(json attempts.length) attempt(s), HTTP $(json attempts.0.status_code)"
RECEIVED=$(curl -sSf "$SINK/webhooks/tour-$RUN/requests") || fail "cannot read the sink's receiver"
[[ $(json 0.verified "$RECEIVED") == true ]] || fail "the receiver could not verify the signature: $RECEIVED"
say "the receiver verified the Standard Webhooks signature"
api "$TOKEN" 200 POST "/v1/webhooks/endpoints/$ENDPOINT/rotate-secret" '{"expire_previous_now":false}'
say "secret rotated: both secrets sign for 24 h"

step "Support: the customer opens a ticket, staff answer, the customer sees the reply"
api "$TOKEN" 201 POST /v1/support/tickets '{"subject":"GuardDuty findings not exported","description":"No findings reached our SIEM since Friday.","priority":"high","category":"security"}'
TICKET=$(json id)
say "ticket $TICKET: first response due $(json sla.first_response.due_at)"
log_in "$STAFF_USER"
STAFF=$(json session_token)
api "$STAFF" 200 PATCH "/v1/admin/support/tickets/$TICKET" '{"status":"in_progress"}'
api "$STAFF" 201 POST "/v1/admin/support/tickets/$TICKET/comments" '{"body":"Exporter cannot verify your certificate.","internal":true}'
api "$STAFF" 201 POST "/v1/admin/support/tickets/$TICKET/comments" '{"body":"Did your SIEM certificate change on Friday?"}'
api "$TOKEN" 200 GET "/v1/support/tickets/$TICKET"
say "first-response clock: $(json sla.first_response.status)"
api "$TOKEN" 200 GET "/v1/support/tickets/$TICKET/comments"
[[ $(json data.length) == 1 ]] || fail "the customer should see the reply and not the internal note: $BODY"
say "the customer sees 1 comment (the internal note stays hidden)"

step "Cost: forecast, a budget below this month's spend, the daily cost job's alert"
api "$TOKEN" 200 GET "/v1/cost/forecast?months=3&level=80"
say "forecast by $(json method) on $(json history.months) months: next month $(json months.1.total.expected_cents) cents, 80 % between $(json months.1.total.lower_cents) and $(json months.1.total.upper_cents)"
api "$TOKEN" 200 PUT /v1/cost/budget '{"monthly_limit_cents":1000,"alert_thresholds":[50,100]}'
api - 200 GET "/__scheduled?cron=30+0+*+*+*"
budget_alerted() {
  api "$TOKEN" 200 GET /v1/cost/budget
  local n
  n=$(json current_month.alerts.length) || exit 1
  ((n > 0))
}
eventually "the budget alert of the daily cost job" budget_alerted
say "$(node -p 'JSON.parse(process.argv[1]).current_month.alerts.map((a) => `${a.threshold_percent} % (${a.basis})`).join(", ")' "$BODY") of the budget alerted this month"

step "Cron by hand: the hourly sweep, seen in the platform status (staff)"
api - 200 GET "/__scheduled?cron=0+*+*+*+*"
swept() {
  api "$STAFF" 200 GET /v1/admin/status
  local since
  since=$(node -p 'const j = JSON.parse(process.argv[1]).jobs.find((j) => j.job === "hourly-sweep"); Math.floor(Date.parse(j.last_started_at ?? 0) / 1000)' "$BODY") || exit 1
  ((since >= RUN))
}
eventually "the hourly sweep's run in /v1/admin/status" swept
say "hourly-sweep: $(node -p 'JSON.parse(process.argv[1]).jobs.find((j) => j.job === "hourly-sweep").last_status' "$BODY")"

step "Audit: every change above is in the hash-chained trail"
api "$TOKEN" 200 GET "/v1/audit-events?limit=3"
say "latest: $(node -p 'JSON.parse(process.argv[1]).data.map((e) => e.action).join(", ")' "$BODY")"
api "$TOKEN" 200 GET /v1/audit-events/verify
say "chain verified: $(json valid)"

step "The typed client (docs/examples/typed-client.ts)"
BASE=$BASE SECUREBASE_KEY=$KEY sh scripts/with-node22.sh node docs/examples/typed-client.ts || fail "the typed client example failed"

step "Log out: the session token stops working"
api "$TOKEN" 204 POST /v1/auth/logout
api "$TOKEN" 401 GET /v1/me
api "$STAFF" 204 POST /v1/auth/logout

printf '\ntour: all steps passed against %s\n' "$BASE"
