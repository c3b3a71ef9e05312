// Test tenants: each test file makes its own customers, so files never depend on each other.
import { createApiKey, createCustomer, createInvoice, standardLines } from "../../dev/fixtures.ts";
import type { Tier } from "../../db/schema.ts";
import { asOwner } from "./database.ts";

/** Kept for the many tests that import it from here; the one definition is in http.ts. */
export { call } from "./http.ts";

export interface TestTenant {
  customerId: string;
  key: string;
  keyId: string;
  invoiceIds: string[];
}

let counter = 0;

export async function createTenant(
  options: {
    tier?: Tier;
    invoices?: number;
    scopes?: string[];
    /** "tier-default": no stored security policy (MFA is then required for healthcare and gov_federal). */
    mfaRequired?: boolean | "tier-default";
  } = {},
): Promise<TestTenant> {
  const tag = `${Date.now().toString(36)}${(counter++).toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  return asOwner(async (client) => {
    const customerId = await createCustomer(client, {
      name: `Tenant ${tag}`,
      email: `ops+${tag}@example.com`,
      tier: options.tier ?? "standard",
      // A stored policy without MFA unless a test asks: logins of healthcare and gov_federal
      // tenants would otherwise answer an MFA enrolment instead of a session.
      mfaRequired: options.mfaRequired === "tier-default" ? undefined : (options.mfaRequired ?? false),
    });
    const { id: keyId, key } = await createApiKey(client, customerId, { scopes: options.scopes });
    const invoiceIds: string[] = [];
    for (let i = 0; i < (options.invoices ?? 0); i++) {
      const month = String(i + 1).padStart(2, "0");
      invoiceIds.push(
        await createInvoice(client, customerId, {
          number: `SB-T${tag}-${month}`,
          periodStart: `2025-${month}-01`,
          periodEnd: i === 11 ? "2026-01-01" : `2025-${String(i + 2).padStart(2, "0")}-01`,
          status: "paid",
          lines: standardLines(200_000, 100 + i, 1_000),
        }),
      );
    }
    return { customerId, key, keyId, invoiceIds };
  });
}
