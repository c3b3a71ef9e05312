// The customer's billing details (the name, address and tax id its invoices are made out to) and
// its tax status (docs/billing.md, "Tax"). Details are set by the customer's admins
// (PATCH /v1/billing/details, billing:write) or by staff (PATCH /v1/admin/customers/{id}); the
// tax status by staff only (the database refuses anyone else: migration 0140). Issued invoices
// keep the details and status that applied (invoices.billing_details, tax_status, tax_note).
import { z } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import { customers, taxStatuses, type TaxStatus } from "../../db/schema.ts";
import { text } from "../http/input.ts";
import { invalidField, notFound } from "../http/problem.ts";
import type { Audit } from "../http/transactions.ts";
import type { Database } from "../platform/database.ts";

type CustomerRow = typeof customers.$inferSelect;

const addressSchema = z
  .strictObject({
    line1: text({ min: 1, max: 200 }).openapi({ example: "100 Main Street" }),
    line2: text({ min: 1, max: 200 }).nullish().openapi({ example: "Suite 400" }),
    city: text({ min: 1, max: 100 }).openapi({ example: "Springfield" }),
    region: text({ min: 1, max: 100 }).nullish().openapi({ description: "State, province or county", example: "IL" }),
    postal_code: text({ min: 1, max: 20 }).openapi({ example: "62701" }),
    country: z
      .string()
      .trim()
      .max(2)
      .toUpperCase()
      .regex(/^[A-Z]{2}$/, "must be an ISO 3166-1 alpha-2 country code")
      .openapi({ description: "ISO 3166-1 alpha-2", example: "US" }),
  })
  .openapi("BillingAddress");

export const taxStatusSchema = z.enum(taxStatuses).openapi({
  description:
    "`taxable`: tax at the customer's rate; `exempt`: no tax, needs `tax_exempt_certificate`; `reverse_charge`: no " +
    "tax, the recipient accounts for VAT, needs the billing tax id",
  example: "taxable",
});
export const certificateSchema = text({ min: 1, max: 100 }).openapi({
  description: "Reference of the tax exemption certificate, printed on exempt invoices",
  example: "CA-EX-2026-0042",
});

export const billingDetailsSchema = z
  .object({
    object: z.literal("billing_details"),
    name: z.string().openapi({ description: "The name invoices are made out to", example: "Acme Health, Inc." }),
    email: z.string().openapi({ example: "ap@acme-health.example" }),
    address: z
      .object({
        line1: z.string(),
        line2: z.string().nullable(),
        city: z.string(),
        region: z.string().nullable(),
        postal_code: z.string(),
        country: z.string(),
      })
      .nullable(),
    tax_id: z.string().nullable().openapi({ example: "US-EIN-12-3456789" }),
    tax_status: taxStatusSchema,
    tax_exempt_certificate: z.string().nullable(),
  })
  .openapi("BillingDetails");

/** What a PATCH may change; null clears. Name and email fall back to the customer's own. */
export const billingDetailsPatchSchema = z
  .strictObject({
    name: text({ min: 1, max: 200 }).nullish().openapi({ example: "Acme Health, Inc." }),
    email: z.string().trim().email().max(254).nullish().openapi({ example: "ap@acme-health.example" }),
    address: addressSchema.nullish(),
    tax_id: text({ min: 2, max: 50 }).nullish().openapi({ example: "US-EIN-12-3456789" }),
  })
  .openapi("BillingDetailsUpdate", {
    example: {
      address: { line1: "100 Main Street", city: "Springfield", region: "IL", postal_code: "62701", country: "US" },
    },
  });
export type BillingDetailsPatch = z.infer<typeof billingDetailsPatchSchema>;

export function toBillingDetails(row: CustomerRow): z.infer<typeof billingDetailsSchema> {
  return {
    object: "billing_details",
    name: row.billingName ?? row.name,
    email: row.billingEmail ?? row.email,
    address:
      row.billingAddressLine1 && row.billingCity && row.billingPostalCode && row.billingCountry
        ? {
            line1: row.billingAddressLine1,
            line2: row.billingAddressLine2,
            city: row.billingCity,
            region: row.billingRegion,
            postal_code: row.billingPostalCode,
            country: row.billingCountry,
          }
        : null,
    tax_id: row.billingTaxId,
    tax_status: row.taxStatus,
    tax_exempt_certificate: row.taxExemptCertificate,
  };
}

/** A drizzle field's column name: billingAddressLine1 -> billing_address_line1. */
export const columnName = (field: string) => field.replace(/[A-Z]/g, (m) => `_${m.toLowerCase()}`);

/** The columns a billing-details patch sets (undefined: unchanged). */
export function billingDetailsColumns(patch: BillingDetailsPatch): Partial<CustomerRow> {
  const set: Partial<CustomerRow> = {};
  if (patch.name !== undefined) set.billingName = patch.name;
  if (patch.email !== undefined) set.billingEmail = patch.email;
  if (patch.tax_id !== undefined) set.billingTaxId = patch.tax_id;
  if (patch.address !== undefined) {
    const a = patch.address;
    Object.assign(set, {
      billingAddressLine1: a?.line1 ?? null,
      billingAddressLine2: a?.line2 ?? null,
      billingCity: a?.city ?? null,
      billingRegion: a?.region ?? null,
      billingPostalCode: a?.postal_code ?? null,
      billingCountry: a?.country ?? null,
    });
  }
  return set;
}

export interface TaxSettings {
  taxStatus?: TaxStatus;
  taxExemptCertificate?: string | null;
}

/**
 * The rules between tax status and details, checked on the row as it would be after a change, so
 * the answer is a 422 naming the field rather than the database's check constraint.
 */
export function checkTaxRules(
  after: Pick<CustomerRow, "taxStatus" | "taxExemptCertificate" | "billingTaxId">,
  changed: {
    taxStatus: boolean;
  },
) {
  if (after.taxStatus === "exempt" && !after.taxExemptCertificate) {
    throw invalidField("tax_exempt_certificate", "required", "is required when tax_status is exempt");
  }
  if (after.taxStatus === "reverse_charge" && !after.billingTaxId) {
    throw changed.taxStatus
      ? invalidField(
          "tax_status",
          "tax_id_required",
          "reverse_charge requires the customer's billing tax id (billing_details.tax_id)",
        )
      : invalidField("tax_id", "required", "cannot be removed while the customer's tax status is reverse_charge");
  }
}

export async function getBillingDetails(db: Database, customerId: string): Promise<CustomerRow> {
  const [row] = await db.select().from(customers).where(eq(customers.id, customerId));
  if (!row) throw notFound("customer", customerId);
  return row;
}

/** The customer's own change of its billing details, audited with the fields it changed. */
export async function updateBillingDetails(
  db: Database,
  audit: Audit,
  customerId: string,
  patch: BillingDetailsPatch,
): Promise<CustomerRow> {
  const [before] = await db.select().from(customers).where(eq(customers.id, customerId)).for("update");
  if (!before) throw notFound("customer", customerId);
  const set = billingDetailsColumns(patch);
  checkTaxRules({ ...before, ...set }, { taxStatus: false });
  const changed = Object.keys(set)
    .filter((k) => set[k as keyof CustomerRow] !== before[k as keyof CustomerRow])
    .map(columnName);
  if (changed.length === 0) return before;
  const [after] = await db.update(customers).set(set).where(eq(customers.id, customerId)).returning();
  await audit({
    action: "customer.billing_details_updated",
    resourceType: "customer",
    resourceId: customerId,
    summary: `Billing details of ${before.name} updated (${changed.join(", ")})`,
    data: { fields: changed },
  });
  return after!;
}
