// GET/PATCH /v1/billing/details: the customer's billing details, set by its admins (billing:write)
// or by staff, validated field by field, audited; issued invoices keep the details they had.
import { beforeAll, describe, expect, it } from "vitest";
import { asCustomer, createInvoice, standardLines } from "../../dev/fixtures.ts";
import { asOwner } from "../helpers/database.ts";
import { adminQuery } from "../helpers/billing.ts";
import { staffToken, userToken } from "../helpers/identity.ts";
import { expectProblem, send } from "../helpers/http.ts";
import { call, createTenant, type TestTenant } from "../helpers/tenants.ts";

let tenant: TestTenant;
let admin: string;

const address = {
  line1: "100 Main Street",
  line2: "Suite 400",
  city: "Springfield",
  region: "IL",
  postal_code: "62701",
  country: "us",
};

beforeAll(async () => {
  tenant = await createTenant();
  admin = (await userToken(tenant.customerId, "admin")).token;
});

describe("GET/PATCH /v1/billing/details", () => {
  it("defaults to the customer's name and email, no address, taxable", async () => {
    const response = await call("/v1/billing/details", { token: admin });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      object: "billing_details",
      name: expect.stringMatching(/^Tenant /),
      email: expect.stringMatching(/^ops\+/),
      address: null,
      tax_id: null,
      tax_status: "taxable",
      tax_exempt_certificate: null,
    });
  });

  it("an admin sets name, email, address and tax id; audited; the next document prints them", async () => {
    const response = await send("PATCH", "/v1/billing/details", admin, {
      name: "Springfield Nuclear, Inc.",
      email: "ap@springfield.example",
      address,
      tax_id: "US-EIN-12-3456789",
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      name: "Springfield Nuclear, Inc.",
      email: "ap@springfield.example",
      address: { ...address, country: "US" },
      tax_id: "US-EIN-12-3456789",
    });
    const [audit] = await adminQuery<{ data: { fields: string[] } }>(
      "SELECT data FROM audit_events WHERE customer_id = $1 AND action = 'customer.billing_details_updated'",
      [tenant.customerId],
    );
    expect(audit!.data.fields).toEqual(
      expect.arrayContaining(["billing_name", "billing_address_line1", "billing_tax_id"]),
    );

    const invoiceId = await asOwner((client) =>
      createInvoice(client, tenant.customerId, {
        number: `SB-DET-${Date.now()}`,
        periodStart: "2025-10-01",
        periodEnd: "2025-11-01",
        status: "open",
        lines: standardLines(200_000, 100, 1_000),
      }),
    );
    const html = await (await call(`/v1/invoices/${invoiceId}.html`, { token: tenant.key })).text();
    for (const text of [
      "Springfield Nuclear, Inc.",
      "100 Main Street",
      "Springfield, IL 62701",
      "Tax id: US-EIN-12-3456789",
    ]) {
      expect(html).toContain(text);
    }

    // A later change does not rewrite the issued invoice.
    expect((await send("PATCH", "/v1/billing/details", admin, { name: "Renamed Corp", address: null })).status).toBe(
      200,
    );
    const again = await (await call(`/v1/invoices/${invoiceId}.html`, { token: tenant.key })).text();
    expect(again).toContain("Springfield Nuclear, Inc.");
    expect(again).not.toContain("Renamed Corp");
    expect(await (await call("/v1/billing/details", { token: admin })).json()).toMatchObject({
      name: "Renamed Corp",
      address: null,
    });
  });

  it("refuses bad input with a 422 naming the field", async () => {
    for (const [body, field] of [
      [{ address: { ...address, country: "USA" } }, "body.address.country"],
      [{ address: { ...address, city: undefined } }, "body.address.city"],
      [{ address: { ...address, postal_code: "x".repeat(21) } }, "body.address.postal_code"],
      [{ email: "not-an-email" }, "body.email"],
      [{ tax_id: "x".repeat(51) }, "body.tax_id"],
      [{ name: "" }, "body.name"],
    ] as const) {
      await expectProblem(await send("PATCH", "/v1/billing/details", admin, body), {
        status: 422,
        type: "validation-error",
        field,
      });
    }
  });

  it("needs billing:write to change and billing:read to read", async () => {
    const viewer = await userToken(tenant.customerId, "viewer");
    expect((await call("/v1/billing/details", { token: viewer.token })).status).toBe(200);
    await expectProblem(await send("PATCH", "/v1/billing/details", viewer.token, { name: "Nope" }), {
      status: 403,
      type: "insufficient-permission",
    });
    const developer = await userToken(tenant.customerId, "developer");
    await expectProblem(await call("/v1/billing/details", { token: developer.token }), {
      status: 403,
      type: "insufficient-permission",
    });
    const billing = await userToken(tenant.customerId, "billing");
    expect((await send("PATCH", "/v1/billing/details", billing.token, { name: "Billing Co" })).status).toBe(200);
    await expectProblem(await call("/v1/billing/details"), { status: 401 });
  });

  it("staff set a customer's billing details through the admin route", async () => {
    const other = await createTenant();
    const staff = (await staffToken()).token;
    const response = await send("PATCH", `/v1/admin/customers/${other.customerId}`, staff, {
      billing_details: { address: { ...address, country: "CA" }, tax_id: "CA-123456789" },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      billing_details: { address: { country: "CA" }, tax_id: "CA-123456789" },
    });
    const [row] = await adminQuery<{ billing_country: string }>("SELECT billing_country FROM customers WHERE id = $1", [
      other.customerId,
    ]);
    expect(row!.billing_country).toBe("CA");
    // Only the customer's own row: another customer's details are not reachable from a tenant context.
    await asOwner((client) =>
      asCustomer(client, tenant.customerId, async () => {
        const { rows } = await client.query("SELECT 1 FROM customers WHERE id = $1", [other.customerId]);
        expect(rows).toHaveLength(0);
      }),
    );
  });
});
