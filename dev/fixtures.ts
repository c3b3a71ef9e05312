// Writers for customers, keys and invoices, shared by the demo seed (Node, pg) and the tests
// (workerd, neon driver): both clients expose query(text, values) -> { rows }.
// They run as the owner role, which RLS binds too (FORCE), so every write happens inside a
// transaction that carries the customer's signed context, exactly like the API's own writes.
import { generateApiKey, hashApiKey, type KeyMode } from "../worker/auth/api-key.ts";
import { signTenantContext, type TenantContext } from "../worker/platform/tenant-context.ts";
import type { Tier } from "../db/schema.ts";

export interface Queryable {
  query(text: string, values?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
}

/** A client plus the DB_CONTEXT_KEY that signs its tenant contexts. */
export interface FixtureClient extends Queryable {
  contextKey: string;
}

export function fixtureClient(client: Queryable, contextKey: string): FixtureClient {
  return { contextKey, query: (text, values) => client.query(text, values) };
}

export async function asCustomer<T>(
  client: FixtureClient,
  context: string | TenantContext,
  work: () => Promise<T>,
): Promise<T> {
  const signed = await signTenantContext(
    client.contextKey,
    typeof context === "string" ? { customerId: context } : context,
  );
  await client.query("BEGIN");
  try {
    await client.query("SELECT set_config('app.context', $1, true), set_config('app.context_sig', $2, true)", [
      signed.context,
      signed.signature,
    ]);
    const result = await work();
    await client.query("COMMIT");
    return result;
  } catch (error) {
    await client.query("ROLLBACK");
    throw error;
  }
}

export async function createCustomer(
  client: FixtureClient,
  customer: {
    id?: string;
    name: string;
    email: string;
    tier: Tier;
    status?: "active" | "suspended";
    /** Stores a security policy with this MFA requirement; without it, the tier's default applies. */
    mfaRequired?: boolean;
  },
): Promise<string> {
  const id = customer.id ?? ((await client.query("SELECT app.uuid_v7() AS id")).rows[0]!.id as string);
  await asCustomer(client, id, async () => {
    await client.query(
      `INSERT INTO customers (id, name, email, tier, status) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (id) DO NOTHING`,
      [id, customer.name, customer.email, customer.tier, customer.status ?? "active"],
    );
    if (customer.mfaRequired !== undefined)
      await client.query(
        `INSERT INTO customer_security_policies
           (customer_id, mfa_required, session_lifetime_minutes, idle_timeout_minutes, allowed_sign_in_methods)
         VALUES ($1, $2, 720, 60, ARRAY['password', 'passkey'])
         ON CONFLICT (customer_id) DO UPDATE SET mfa_required = EXCLUDED.mfa_required`,
        [id, customer.mfaRequired],
      );
  });
  return id;
}

export const DEFAULT_SCOPES = ["invoices:read", "usage:read", "metrics:read"];

export async function createApiKey(
  client: FixtureClient,
  customerId: string,
  options: { name?: string; mode?: KeyMode; scopes?: string[]; expiresAt?: Date; key?: string } = {},
): Promise<{ id: string; key: string }> {
  const key = options.key ?? generateApiKey(options.mode ?? "test").key;
  const mode = key.startsWith("sb_live_") ? "live" : "test";
  const hash = await hashApiKey(key);
  const { rows } = await asCustomer(client, customerId, () =>
    client.query(
      `INSERT INTO api_keys (customer_id, name, mode, prefix, key_hash, scopes, expires_at)
       VALUES ($1, $2, $3, $4, decode($5, 'hex'), $6, $7) RETURNING id`,
      [
        customerId,
        options.name ?? "Test key",
        mode,
        key.slice(0, 14),
        hash,
        options.scopes ?? DEFAULT_SCOPES,
        options.expiresAt ?? null,
      ],
    ),
  );
  return { id: rows[0]!.id as string, key };
}

export interface LineItemInput {
  kind: "base" | "usage";
  description: string;
  quantity: number;
  unit: string | null;
  unitAmountMicros: number;
}

/** Half-up rounding to the cent of an amount in micros (1 cent = 10,000 micros). */
const microsToCents = (micros: number) => Math.floor((micros + 5_000) / 10_000);

const DISCOUNT_BANDS = [
  { fromCents: 5_000_000, bps: 1500 },
  { fromCents: 2_000_000, bps: 1000 },
  { fromCents: 500_000, bps: 500 },
];

/** The invoice arithmetic of docs/billing.md (default rates): per-line half-up rounding, band discount, tax. */
export function priceInvoice(lines: LineItemInput[], taxRateBps: number) {
  const priced = lines.map((line) => ({ ...line, amountCents: microsToCents(line.quantity * line.unitAmountMicros) }));
  const subtotalCents = priced.reduce((sum, line) => sum + line.amountCents, 0);
  const band = DISCOUNT_BANDS.find((b) => subtotalCents >= b.fromCents);
  const discountCents = band ? Math.floor((subtotalCents * band.bps + 5_000) / 10_000) : 0;
  const taxCents = Math.floor(((subtotalCents - discountCents) * taxRateBps + 5_000) / 10_000);
  return {
    lines: priced,
    subtotalCents,
    discountCents,
    taxCents,
    totalCents: subtotalCents - discountCents + taxCents,
  };
}

export async function createInvoice(
  client: FixtureClient,
  customerId: string,
  invoice: {
    number: string;
    periodStart: string;
    periodEnd: string;
    status: "open" | "paid";
    lines: LineItemInput[];
    taxRateBps?: number;
  },
): Promise<string> {
  const priced = priceInvoice(invoice.lines, invoice.taxRateBps ?? 800);
  return asCustomer(client, customerId, async () => {
    const { rows } = await client.query(
      `INSERT INTO invoices (customer_id, number, status, period_start, period_end, subtotal_cents, discount_cents,
                             tax_cents, total_cents, issued_at, due_at, paid_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $5::date, $5::date + 30,
               CASE WHEN $3 = 'paid' THEN $5::date + 10 END)
       RETURNING id`,
      [
        customerId,
        invoice.number,
        invoice.status,
        invoice.periodStart,
        invoice.periodEnd,
        priced.subtotalCents,
        priced.discountCents,
        priced.taxCents,
        priced.totalCents,
      ],
    );
    const invoiceId = rows[0]!.id as string;
    const items = [
      ...priced.lines.map((l) => [l.kind, l.description, l.quantity, l.unit, l.unitAmountMicros, l.amountCents]),
      ...(priced.discountCents > 0 ? [["discount", "Volume discount", 1, null, null, -priced.discountCents]] : []),
      ["tax", `Tax (${((invoice.taxRateBps ?? 800) / 100).toFixed(2)}%)`, 1, null, null, priced.taxCents],
    ];
    for (const [kind, description, quantity, unit, unitAmountMicros, amountCents] of items) {
      await client.query(
        `INSERT INTO invoice_line_items (customer_id, invoice_id, kind, description, quantity, unit, unit_amount_micros, amount_cents)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [customerId, invoiceId, kind, description, quantity, unit, unitAmountMicros, amountCents],
      );
    }
    return invoiceId;
  });
}

/** Base fee + log storage + NAT processing at the default rates (docs/billing.md). */
export function standardLines(basePriceCents: number, logGb: number, natGb: number): LineItemInput[] {
  return [
    {
      kind: "base",
      description: "Platform base fee",
      quantity: 1,
      unit: null,
      unitAmountMicros: basePriceCents * 10_000,
    },
    { kind: "usage", description: "Log storage", quantity: logGb, unit: "GB-month", unitAmountMicros: 100_000 },
    { kind: "usage", description: "NAT data processing", quantity: natGb, unit: "GB", unitAmountMicros: 45_000 },
  ];
}
