// Invoice queries. They run inside the tenant transaction, where RLS already limits every row
// to the caller; the explicit customer filter stays so the planner uses the (customer_id, id)
// index.
import { and, asc, desc, eq, sql } from "drizzle-orm";
import { customers, invoiceLineItems, invoices, type InvoiceBillingDetails } from "../../db/schema.ts";
import type { Database } from "../platform/database.ts";
import { afterCursor, type PaginationQuery } from "../http/pagination.ts";

export type InvoiceRow = typeof invoices.$inferSelect;
export type LineItemRow = typeof invoiceLineItems.$inferSelect;

export async function listInvoices(db: Database, customerId: string, page: PaginationQuery): Promise<InvoiceRow[]> {
  return db
    .select()
    .from(invoices)
    .where(and(eq(invoices.customerId, customerId), afterCursor(invoices.id, page)))
    .orderBy(desc(invoices.id))
    .limit(page.limit + 1);
}

/** One invoice with its line items, in one round trip (left join, grouped here). */
export async function getInvoice(
  db: Database,
  customerId: string,
  id: string,
): Promise<{ invoice: InvoiceRow; lineItems: LineItemRow[] } | undefined> {
  const rows = await db
    .select({ invoice: invoices, lineItem: invoiceLineItems })
    .from(invoices)
    .leftJoin(invoiceLineItems, eq(invoiceLineItems.invoiceId, invoices.id))
    .where(and(eq(invoices.customerId, customerId), eq(invoices.id, id)))
    // Document order: base, usage, adjustments, discount, tax (position); older rows by id.
    .orderBy(sql`${invoiceLineItems.position} NULLS LAST`, asc(invoiceLineItems.id));
  if (rows.length === 0) return undefined;
  return { invoice: rows[0]!.invoice, lineItems: rows.flatMap((r) => (r.lineItem ? [r.lineItem] : [])) };
}

/** Every invoice of the customer with its line items (newest first, lines in document order). */
export async function invoicesWithLines(
  db: Database,
  customerId: string,
): Promise<{ invoice: InvoiceRow; lineItems: LineItemRow[] }[]> {
  const rows = await db
    .select({ invoice: invoices, lineItem: invoiceLineItems })
    .from(invoices)
    .leftJoin(invoiceLineItems, eq(invoiceLineItems.invoiceId, invoices.id))
    .where(eq(invoices.customerId, customerId))
    .orderBy(desc(invoices.id), sql`${invoiceLineItems.position} NULLS LAST`, asc(invoiceLineItems.id));
  const grouped = new Map<string, { invoice: InvoiceRow; lineItems: LineItemRow[] }>();
  for (const row of rows) {
    const entry = grouped.get(row.invoice.id) ?? { invoice: row.invoice, lineItems: [] };
    if (row.lineItem) entry.lineItems.push(row.lineItem);
    grouped.set(row.invoice.id, entry);
  }
  return [...grouped.values()];
}

/** The billed party as the invoice document names it today (RLS: only the caller's own row). */
export async function billedCustomer(db: Database, customerId: string): Promise<InvoiceBillingDetails | undefined> {
  const [row] = await db.select().from(customers).where(eq(customers.id, customerId));
  if (!row) return undefined;
  const details: InvoiceBillingDetails = {
    name: row.billingName ?? row.name,
    email: row.billingEmail ?? row.email,
    address_line1: row.billingAddressLine1 ?? undefined,
    address_line2: row.billingAddressLine2 ?? undefined,
    city: row.billingCity ?? undefined,
    region: row.billingRegion ?? undefined,
    postal_code: row.billingPostalCode ?? undefined,
    country: row.billingCountry ?? undefined,
    tax_id: row.billingTaxId ?? undefined,
  };
  return details;
}

/** An invoice with what its documents print: the billed party as it stood at issue (else today's). */
export async function invoiceForDocument(
  db: Database,
  customerId: string,
  id: string,
): Promise<{ invoice: InvoiceRow; lineItems: LineItemRow[]; customer: InvoiceBillingDetails } | undefined> {
  const found = await getInvoice(db, customerId, id);
  if (!found) return undefined;
  const customer = found.invoice.billingDetails ?? (await billedCustomer(db, customerId));
  return customer ? { ...found, customer } : undefined;
}
