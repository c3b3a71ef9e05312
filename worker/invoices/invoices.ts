// Invoice queries. They run inside the tenant transaction, where RLS already limits every row
// to the caller; the explicit customer filter stays so the planner uses the (customer_id, id)
// index.
import { and, asc, desc, eq, sql } from "drizzle-orm";
import { invoiceLineItems, invoices } from "../../db/schema.ts";
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
