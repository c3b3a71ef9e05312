// One row in every tenant-owned table for a customer, so the isolation suite can attack each
// table. A tenant table added without a row here makes the suite fail (it checks the catalog).
import { asCustomer, type FixtureClient } from "../../dev/fixtures.ts";
import { sinkUrl } from "./sink.ts";

export async function populateEveryTable(client: FixtureClient, customerId: string, tag: string): Promise<void> {
  await asCustomer(client, customerId, async () => {
    const one = async (sql: string, values: unknown[] = []) =>
      (await client.query(sql, values)).rows[0] as Record<string, string>;
    const c = customerId;
    const user = await one(
      "INSERT INTO users (customer_id, email, name, role) VALUES ($1, $2, 'Every Table', 'admin') RETURNING id",
      [c, `every-${tag}@example.com`],
    );
    await one(
      "INSERT INTO user_sessions (customer_id, user_id, expires_at) VALUES ($1, $2, now() + interval '1 hour')",
      [c, user.id],
    );
    await one(
      "INSERT INTO user_invites (customer_id, email, role, token_hash, expires_at) VALUES ($1, $2, 'viewer', gen_random_bytes(32), now() + interval '7 days')",
      [c, `invitee-${tag}@example.com`],
    );
    await one(
      "INSERT INTO password_resets (customer_id, user_id, token_hash, expires_at) VALUES ($1, $2, gen_random_bytes(32), now() + interval '30 minutes')",
      [c, user.id],
    );
    await one("INSERT INTO user_totp (customer_id, user_id, secret_sealed) VALUES ($1, $2, 'v2.fixture.iv.sealed')", [
      c,
      user.id,
    ]);
    await one(
      "INSERT INTO user_recovery_codes (customer_id, user_id, code_hash) VALUES ($1, $2, gen_random_bytes(32))",
      [c, user.id],
    );
    await one(
      `INSERT INTO customer_security_policies (customer_id, mfa_required, session_lifetime_minutes, idle_timeout_minutes, allowed_sign_in_methods)
       VALUES ($1, false, 720, 60, ARRAY['password', 'passkey']) ON CONFLICT (customer_id) DO NOTHING`,
      [c],
    );
    await one(
      "INSERT INTO user_passkeys (customer_id, user_id, credential_id, public_key, name, backed_up, device_type) VALUES ($1, $2, gen_random_bytes(32), gen_random_bytes(77), 'Every Table', false, 'singleDevice')",
      [c, user.id],
    );
    await one(
      "INSERT INTO audit_events (customer_id, actor_type, actor_id, action, resource_type, resource_id, summary) VALUES ($1, 'system', 'fixture', 'fixture.created', 'customer', $2, 'fixture row')",
      [c, c],
    );
    const account = await one(
      "INSERT INTO managed_accounts (customer_id, name, environment, aws_account_id) VALUES ($1, 'prod', 'production', lpad((floor(random() * 1e12))::bigint::text, 12, '0')) RETURNING id",
      [c],
    );
    await one(
      "INSERT INTO usage_events (customer_id, event_id, metric, quantity, account_id, occurred_at) VALUES ($1, $2, 'nat_processing_gb', 12.5, $3, now())",
      [c, `evt-${tag}`, account.id],
    );
    await one(
      "INSERT INTO usage_daily (customer_id, metric, day, quantity, events) VALUES ($1, 'nat_processing_gb', current_date, 12.5, 1)",
      [c],
    );
    await one(
      "INSERT INTO usage_monthly (customer_id, metric, month, quantity, events) VALUES ($1, 'nat_processing_gb', date_trunc('month', now())::date, 12.5, 1)",
      [c],
    );
    await one("INSERT INTO outbox_events (customer_id, type, payload) VALUES ($1, 'fixture.created', '{}')", [c]);
    await one(
      "INSERT INTO idempotency_keys (customer_id, key, method, path, request_hash) VALUES ($1, $2, 'POST', '/v1/x', gen_random_bytes(32))",
      [c, `idem-${tag}`],
    );
    // The local sink, not a made-up host: events of this customer (e.g. a billing run's
    // invoice.created) are really delivered, and a host that does not resolve makes workerd log.
    const endpoint = await one(
      "INSERT INTO webhook_endpoints (customer_id, url, secret_ciphertext) VALUES ($1, $2, gen_random_bytes(48)) RETURNING id",
      [c, `${sinkUrl()}/webhooks/every-table-${tag}`],
    );
    const delivery = await one(
      "INSERT INTO webhook_deliveries (customer_id, endpoint_id, event_id, event_type, payload) VALUES ($1, $2, gen_random_uuid(), 'fixture.created', '{}') RETURNING id",
      [c, endpoint.id],
    );
    await one(
      "INSERT INTO webhook_delivery_attempts (customer_id, delivery_id, attempt_number, status_code, latency_ms) VALUES ($1, $2, 1, 200, 12)",
      [c, delivery.id],
    );
    await one(
      "INSERT INTO email_messages (customer_id, event_type, user_id, to_address, data) VALUES ($1, 'invoice.created', $2, $3, '{}')",
      [c, user.id, `every-${tag}@example.com`],
    );
    await one(
      "INSERT INTO notifications (customer_id, user_id, category, event_type, title, body) VALUES ($1, $2, 'billing', 'invoice.created', 'Hi', 'Body')",
      [c, user.id],
    );
    await one(
      "INSERT INTO notification_preferences (customer_id, user_id, channel, event_type, enabled) VALUES ($1, $2, 'email', 'invoice.created', true)",
      [c, user.id],
    );
    const ticket = await one(
      "INSERT INTO support_tickets (customer_id, subject, description, priority, first_response_due_at, resolution_due_at) VALUES ($1, 'Help', 'Please', 'high', now() + interval '4 hours', now() + interval '1 day') RETURNING id",
      [c],
    );
    await one(
      "INSERT INTO ticket_comments (customer_id, ticket_id, author_type, body) VALUES ($1, $2, 'customer', 'More info')",
      [c, ticket.id],
    );
    await one("INSERT INTO cost_budgets (customer_id, monthly_limit_cents) VALUES ($1, 500000)", [c]);
    await one(
      "INSERT INTO cost_forecasts (customer_id, month, method, forecast_cents, lower_cents, upper_cents, confidence, history_months) VALUES ($1, date_trunc('month', now())::date, 'holt', 100, 90, 110, 0.95, 6)",
      [c],
    );
    await one("INSERT INTO reports (customer_id, kind, format) VALUES ($1, 'usage', 'csv')", [c]);
    await one(
      "INSERT INTO cost_budget_alerts (customer_id, month, threshold_percent, basis, amount_cents, budget_cents, event_id) VALUES ($1, date_trunc('month', now())::date, 80, 'actual', 400000, 500000, gen_random_uuid())",
      [c],
    );
    // Settlement (0130): an open invoice with a provider payment, a credit note and a credit balance.
    const invoice = await one(
      "INSERT INTO invoices (customer_id, number, status, period_start, period_end, subtotal_cents, total_cents, issued_at) VALUES ($1, $2, 'open', '2024-01-01', '2024-02-01', 10000, 10000, now()) RETURNING id",
      [c, `SB-E-${tag}`],
    );
    await one(
      "INSERT INTO provider_events (id, customer_id, type, payload) VALUES ($1, $2, 'payment.succeeded', '{}')",
      [`evt_every_${tag}`, c],
    );
    await one(
      "INSERT INTO payments (customer_id, invoice_id, amount_cents, method, received_at, source, provider_event_id) VALUES ($1, $2, 1000, 'card', now(), 'provider', $3)",
      [c, invoice.id, `evt_every_${tag}`],
    );
    await one(
      "INSERT INTO credit_notes (customer_id, invoice_id, number, reason, amount_cents, applied_cents, to_balance_cents, created_by) VALUES ($1, $2, $3, 'Goodwill', 500, 500, 0, 'fixture')",
      [c, invoice.id, `SB-CN-E-${tag}`],
    );
    await one("INSERT INTO customer_credit_balances (customer_id, balance_cents) VALUES ($1, 0)", [c]);
    // Proration (0170): one tier change in the history.
    await one(
      "INSERT INTO customer_tier_changes (customer_id, from_tier, to_tier) VALUES ($1, 'standard', 'fintech')",
      [c],
    );
    await one(
      "INSERT INTO dunning_reminders (customer_id, invoice_id, stage, days_past_due) VALUES ($1, $2, 'day_1', 1)",
      [c, invoice.id],
    );
    // Exports and closures (0200).
    await one("INSERT INTO customer_exports (customer_id, jurisdiction) VALUES ($1, 'us')", [c]);
    await one(
      "INSERT INTO customer_closures (customer_id, requested_by, grace_until) VALUES ($1, 'staff:fixture', now() + interval '30 days')",
      [c],
    );
    // Audit archive (0190): a manifest row and a legal hold.
    await one(
      "INSERT INTO audit_archives (customer_id, day, jurisdiction, object_key, first_seq, last_seq, event_count, first_prev_hash, last_hash, first_occurred_at, last_occurred_at, sha256, bytes) VALUES ($1, '2024-01-01', 'us', $2, 1000000, 1000000, 1, gen_random_bytes(32), gen_random_bytes(32), '2024-01-01', '2024-01-01', gen_random_bytes(32), 100)",
      [c, `audit/${c}/2024/01/01/fixture.jsonl.gz`],
    );
    await one("INSERT INTO audit_legal_holds (customer_id, reason) VALUES ($1, 'fixture hold')", [c]);
  });
}
