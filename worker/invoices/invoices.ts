// Invoice queries. They run inside the tenant transaction, where RLS already limits every row
// to the caller; the explicit customer filter stays so the planner uses the (customer_id, id)
// index.
import { and, asc, desc, eq, sql } from "drizzle-orm";
import { customers, invoiceLineItems, invoices } from "../../db/schema.ts";
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

/** The billed party as the invoice document names it (RLS: only the caller's own row). */
export async function billedCustomer(
  db: Database,
  customerId: string,
): Promise<{ name: string; email: string } | undefined> {
  const [row] = await db
    .select({ name: customers.name, email: customers.email })
    .from(customers)
    .where(eq(customers.id, customerId));
  return row;
}
