// GET /v1/invoices/{id}.pdf: the invoice as a PDF written in the Worker (worker/invoices/pdf.ts),
// read back with pdf.js (in Node: test/helpers/pdf-reader.ts) and checked for what a finance
// team needs on it.
import { beforeAll, describe, expect, it } from "vitest";
import { asCustomer, createInvoice, type LineItemInput, standardLines } from "../../dev/fixtures.ts";
import { renderPdf } from "../../worker/invoices/pdf.ts";
import { asOwner } from "../helpers/database.ts";
import { expectProblem, expectSameAsMissing } from "../helpers/http.ts";
import { readPdf } from "../helpers/pdf.ts";
import { call, createTenant, type TestTenant } from "../helpers/tenants.ts";

let alice: TestTenant;
let bob: TestTenant;
let invoiceId: string;
let number: string;
let longInvoiceId: string;

beforeAll(async () => {
  alice = await createTenant();
  bob = await createTenant({ invoices: 1 });
  number = `SB-PDF-${Date.now()}`;
  await asOwner(async (client) => {
    await asCustomer(client, alice.customerId, () =>
      client.query(
        `UPDATE customers SET billing_name = 'Alice (Holdings) \\ Ltd', billing_address_line1 = '42 Harbour Road',
                billing_city = 'Portland', billing_region = 'OR', billing_postal_code = '97201', billing_country = 'US',
                billing_tax_id = 'US-EIN-98-7654321' WHERE id = $1`,
        [alice.customerId],
      ),
    );
    invoiceId = await createInvoice(client, alice.customerId, {
      number,
      periodStart: "2025-10-01",
      periodEnd: "2025-11-01",
      status: "open",
      lines: standardLines(200_000, 100, 1_000),
    });
    const many: LineItemInput[] = Array.from({ length: 90 }, (_, i) => ({
      kind: "usage",
      description: `Account ${String(i + 1).padStart(3, "0")} NAT data processing`,
      quantity: 10 + i,
      unit: "GB",
      unitAmountMicros: 45_000,
    }));
    longInvoiceId = await createInvoice(client, alice.customerId, {
      number: `${number}-L`,
      periodStart: "2025-09-01",
      periodEnd: "2025-10-01",
      status: "open",
      lines: [standardLines(200_000, 0, 0)[0]!, ...many],
    });
  });
});

describe("GET /v1/invoices/{id}.pdf", () => {
  it("is a PDF download with the number, the worked example's totals, seller, billed party and how to pay", async () => {
    const response = await call(`/v1/invoices/${invoiceId}.pdf`, { token: alice.key });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/pdf");
    expect(response.headers.get("content-disposition")).toBe(`attachment; filename="${number}.pdf"`);
    expect(response.headers.get("cache-control")).toBe("private, no-store");
    const bytes = await response.arrayBuffer();
    expect(new TextDecoder().decode(bytes.slice(0, 8))).toBe("%PDF-1.4");
    const pdf = await readPdf(bytes);
    expect(pdf.xrefValid).toBe(true);
    expect(pdf.pages).toHaveLength(1);
    expect(pdf.title).toBe(`Invoice ${number}`);
    for (const text of [
      `Invoice ${number}`,
      "$2,000.00",
      "$10.00",
      "$45.00",
      "$2,055.00",
      "Tax (8.00%)",
      "$164.40",
      "$2,219.40",
      "Amount due",
      "2025-10-01 to 2025-10-31",
      // seller, from configuration (vitest.config.ts bindings)
      "SecureBase Test Seller, LLC",
      "500 Test Avenue",
      "Tax id: EIN 99-1234567",
      "Wire to Test Bank, routing 000000000, account 123456789",
      // billed party, parentheses and backslash escaped in the PDF string
      "Alice (Holdings) \\ Ltd",
      "42 Harbour Road",
      "Portland, OR 97201",
      "Tax id: US-EIN-98-7654321",
    ]) {
      expect(pdf.text).toContain(text);
    }
    // Totals row: the label and the amount on one line.
    expect(pdf.text).toMatch(/Total \(USD\)\s+\$2,219\.40/);
    expect(pdf.text).toMatch(/Amount due\s+\$2,219\.40/);
  });

  it("continues a long invoice on further pages, header repeated, totals on the last page", async () => {
    const response = await call(`/v1/invoices/${longInvoiceId}.pdf`, { token: alice.key });
    expect(response.status).toBe(200);
    const pdf = await readPdf(await response.arrayBuffer());
    expect(pdf.xrefValid).toBe(true);
    expect(pdf.pages.length).toBeGreaterThanOrEqual(2);
    pdf.pages.forEach((page, i) => {
      expect(page).toContain(`Page ${i + 1} of ${pdf.pages.length}`);
      expect(page).toContain("Description");
    });
    for (let i = 1; i <= 90; i++)
      expect(pdf.text).toContain(`Account ${String(i).padStart(3, "0")} NAT data processing`);
    expect(pdf.pages.at(-1)).toContain("Amount due");
    expect(pdf.pages[0]).not.toContain("Amount due");
  });

  it("is a 404 for another tenant's invoice, like a missing one; 400 for a malformed id", async () => {
    await expectSameAsMissing(
      await call(`/v1/invoices/${bob.invoiceIds[0]}.pdf`, { token: alice.key }),
      await call(`/v1/invoices/0192a000-0000-7000-8000-0000000fffff.pdf`, { token: alice.key }),
    );
    await expectProblem(await call(`/v1/invoices/not-an-id.pdf`, { token: alice.key }), {
      status: 400,
      type: "validation-error",
      field: "param.id",
    });
  });

  it("needs credentials and invoices:read", async () => {
    await expectProblem(await call(`/v1/invoices/${invoiceId}.pdf`), { status: 401 });
    const limited = await createTenant({ scopes: ["usage:read"] });
    await expectProblem(await call(`/v1/invoices/${invoiceId}.pdf`, { token: limited.key }), {
      status: 403,
      type: "insufficient-permission",
    });
  });
});

describe("renderPdf (worker/invoices/pdf.ts)", () => {
  it("writes WinAnsi text, escapes parentheses and backslashes, and wraps long words", async () => {
    const pdf = await readPdf(
      renderPdf({
        title: "Escapes (a) \\ b",
        blocks: [
          { kind: "text", lines: ["Café — 5 € (net) \\ gross", "x".repeat(300)] },
          {
            kind: "columns",
            columns: [
              { title: "Left", lines: ["one"] },
              { title: "Right", lines: ["two"] },
            ],
          },
        ],
      }),
    );
    expect(pdf.xrefValid).toBe(true);
    expect(pdf.title).toBe("Escapes (a) \\ b");
    expect(pdf.text).toContain("Café — 5 € (net) \\ gross");
    expect(pdf.text.replace(/\s/g, "")).toContain("x".repeat(300));
    expect(pdf.text).toContain("Left");
    expect(pdf.text).toContain("Right");
  });
});
