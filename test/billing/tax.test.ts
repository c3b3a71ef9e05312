// Tax status per customer (docs/billing.md, "Tax"): taxable at its rate, exempt with a
// certificate, reverse charge with the customer's tax id; gov_federal onboards exempt. The invoice
// is issued by the run's own SQL (app.issue_invoices over app.billing_lines) and keeps what applied.
import { beforeAll, describe, expect, it } from "vitest";
import { asCustomer } from "../../dev/fixtures.ts";
import { as } from "../helpers/database.ts";
import { adminQuery, backdate, ingestAsJobs } from "../helpers/billing.ts";
import { staffToken, userToken } from "../helpers/identity.ts";
import { expectProblem, send } from "../helpers/http.ts";
import { readPdf } from "../helpers/pdf.ts";
import { call, createTenant, type TestTenant } from "../helpers/tenants.ts";

const PERIOD = "2025-10-01";
let staff: string;

interface Issued {
  id: string;
  tax_cents: string;
  total_cents: string;
  tax_status: string;
  tax_note: string | null;
  billing_details: Record<string, string>;
  tax_line: string;
}

/** The seed example's usage (docs/billing.md): 100 GB-month of logs, 1,000 GB of NAT processing. */
async function seedUsage(customerId: string) {
  await backdate(customerId, "2025-09-01"); // usage before a customer existed is refused (0071)
  const outcome = await ingestAsJobs([
    { customer_id: customerId, metric: "log_storage_gb_month", quantity: "100", occurred_at: "2025-10-05T00:00:00Z" },
    { customer_id: customerId, metric: "nat_processing_gb", quantity: "1000", occurred_at: "2025-10-06T00:00:00Z" },
  ]);
  expect(outcome.errors ?? []).toEqual([]);
}

let numberSeed = 100_000 + Math.floor(Math.random() * 800_000_000);

/** Issues the customer's October invoice with the monthly run's own function, on the jobs role. */
async function issue(customerId: string): Promise<Issued> {
  await as("jobs", (client) =>
    client.query("SELECT * FROM app.issue_invoices(app.uuid_v7(), $1, ARRAY[$2]::uuid[], 2098, $3)", [
      PERIOD,
      customerId,
      numberSeed++,
    ]),
  );
  const [row] = await adminQuery<Issued>(
    `SELECT i.id, i.tax_cents, i.total_cents, i.tax_status, i.tax_note, i.billing_details, l.description AS tax_line
     FROM invoices i JOIN invoice_line_items l ON l.invoice_id = i.id AND l.kind = 'tax'
     WHERE i.customer_id = $1 AND i.period_start = $2`,
    [customerId, PERIOD],
  );
  return row!;
}

const patchCustomer = (id: string, body: unknown) => send("PATCH", `/v1/admin/customers/${id}`, staff, body);

beforeAll(async () => {
  staff = (await staffToken()).token;
});

describe("taxable (the default)", () => {
  it("bills the seed example at 8 %: $2,219.40, and the invoice records that tax applied", async () => {
    const tenant = await createTenant();
    await seedUsage(tenant.customerId);
    const invoice = await issue(tenant.customerId);
    expect(invoice).toMatchObject({
      tax_cents: "16440",
      total_cents: "221940",
      tax_status: "taxable",
      tax_note: null,
      tax_line: "Tax (8.00%)",
    });
    const html = await (await call(`/v1/invoices/${invoice.id}.html`, { token: tenant.key })).text();
    expect(html).toContain("$2,219.40");
    expect(html).not.toContain("No tax charged");
  });
});

describe("exempt", () => {
  let tenant: TestTenant;
  let invoiceId: string;

  beforeAll(async () => {
    tenant = await createTenant();
    await seedUsage(tenant.customerId);
  });

  it("needs a certificate reference (422 naming the field)", async () => {
    await expectProblem(await patchCustomer(tenant.customerId, { tax_status: "exempt" }), {
      status: 422,
      type: "validation-error",
      field: "body.tax_exempt_certificate",
    });
  });

  it("charges no tax on the next invoice and states the certificate on the HTML and the PDF", async () => {
    const response = await patchCustomer(tenant.customerId, {
      tax_status: "exempt",
      tax_exempt_certificate: "TX-EXEMPT-0042",
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ tax_status: "exempt", tax_exempt_certificate: "TX-EXEMPT-0042" });
    const invoice = await issue(tenant.customerId);
    invoiceId = invoice.id;
    expect(invoice).toMatchObject({
      tax_cents: "0",
      total_cents: "205500",
      tax_status: "exempt",
      tax_note: "Exempt — certificate TX-EXEMPT-0042",
      tax_line: "Exempt — certificate TX-EXEMPT-0042",
    });
    const html = await (await call(`/v1/invoices/${invoiceId}.html`, { token: tenant.key })).text();
    expect(html).toContain("No tax charged.</strong> Exempt — certificate TX-EXEMPT-0042");
    expect(html).toContain("$2,055.00");
    const pdf = await readPdf(await (await call(`/v1/invoices/${invoiceId}.pdf`, { token: tenant.key })).arrayBuffer());
    expect(pdf.text).toContain("No tax charged. Exempt — certificate TX-EXEMPT-0042");
    expect(pdf.text).toMatch(/Amount due\s+\$2,055\.00/);
  });

  it("an issued invoice keeps the status that applied when the customer becomes taxable again", async () => {
    expect((await patchCustomer(tenant.customerId, { tax_status: "taxable" })).status).toBe(200);
    const html = await (await call(`/v1/invoices/${invoiceId}.html`, { token: tenant.key })).text();
    expect(html).toContain("Exempt — certificate TX-EXEMPT-0042");
    const preview = await (
      await call(`/v1/billing/preview?period=2025-10`, { token: (await userToken(tenant.customerId, "billing")).token })
    ).json<{ tax_cents: number }>();
    expect(preview.tax_cents).toBe(16_440);
  });
});

describe("reverse charge", () => {
  it("requires the customer's tax id; with it, no tax and the reverse-charge statement", async () => {
    const tenant = await createTenant();
    await seedUsage(tenant.customerId);
    await expectProblem(await patchCustomer(tenant.customerId, { tax_status: "reverse_charge" }), {
      status: 422,
      type: "validation-error",
      field: "body.tax_status",
    });
    const response = await patchCustomer(tenant.customerId, {
      tax_status: "reverse_charge",
      billing_details: { tax_id: "DE123456789" },
    });
    expect(response.status).toBe(200);
    const invoice = await issue(tenant.customerId);
    expect(invoice).toMatchObject({
      tax_cents: "0",
      total_cents: "205500",
      tax_status: "reverse_charge",
      tax_note: "Reverse charge: VAT to be accounted for by the recipient (tax id DE123456789)",
      billing_details: { tax_id: "DE123456789" },
    });
    const pdf = await readPdf(
      await (await call(`/v1/invoices/${invoice.id}.pdf`, { token: tenant.key })).arrayBuffer(),
    );
    expect(pdf.text).toContain("Reverse charge: VAT to be accounted for by the recipient");
    expect(pdf.text).toContain("Tax id: DE123456789");

    // The customer's admin cannot remove the tax id the reverse charge rests on.
    const admin = await userToken(tenant.customerId, "admin");
    await expectProblem(await send("PATCH", "/v1/billing/details", admin.token, { tax_id: null }), {
      status: 422,
      type: "validation-error",
      field: "body.tax_id",
    });
  });
});

describe("who sets the tax status", () => {
  it("gov_federal customers onboard exempt (certificate federal-agency) unless staff say otherwise", async () => {
    const tag = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
    const body = (n: number, extra: object = {}) => ({
      name: `Agency ${tag}-${n}`,
      email: `ops+${tag}-${n}@agency.example.gov`,
      tier: "gov_federal",
      admin: { email: `admin+${tag}-${n}@agency.example.gov` },
      ...extra,
    });
    const federal = await send("POST", "/v1/admin/customers", staff, body(1));
    expect(federal.status).toBe(201);
    const { customer } = await federal.json<{ customer: { id: string } }>();
    expect(customer).toMatchObject({ tax_status: "exempt", tax_exempt_certificate: "federal-agency" });
    await seedUsage(customer.id);
    expect(await issue(customer.id)).toMatchObject({ tax_cents: "0", tax_note: "Exempt — certificate federal-agency" });

    const taxed = await send("POST", "/v1/admin/customers", staff, body(2, { tax_status: "taxable" }));
    expect((await taxed.json<{ customer: object }>()).customer).toMatchObject({
      tax_status: "taxable",
      tax_exempt_certificate: null,
    });
    const standard = await send("POST", "/v1/admin/customers", staff, { ...body(3), tier: "standard" });
    expect((await standard.json<{ customer: object }>()).customer).toMatchObject({ tax_status: "taxable" });
  });

  it("a customer cannot set its own tax status, through the API or the database", async () => {
    const tenant = await createTenant();
    const admin = await userToken(tenant.customerId, "admin");
    await expectProblem(
      await send("PATCH", "/v1/billing/details", admin.token, { tax_status: "exempt", tax_exempt_certificate: "x" }),
      { status: 422, type: "validation-error" },
    );
    await expect(
      as("api", (client) =>
        asCustomer(client, tenant.customerId, () =>
          client.query("UPDATE customers SET tax_status = 'exempt', tax_exempt_certificate = 'x' WHERE id = $1", [
            tenant.customerId,
          ]),
        ),
      ),
    ).rejects.toMatchObject({ code: "42501" });
  });
});
