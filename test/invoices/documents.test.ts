// GET /v1/invoices/{id}.html and GET /v1/invoices.csv: print-ready, injection-safe documents.
import { beforeAll, describe, expect, it } from "vitest";
import { asCustomer, createInvoice, standardLines } from "../../dev/fixtures.ts";
import { csvCell, formatCents, formatMicros } from "../../worker/invoices/documents.ts";
import { asOwner } from "../helpers/database.ts";
import { expectProblem, expectSameAsMissing } from "../helpers/http.ts";
import { call, createTenant, type TestTenant } from "../helpers/tenants.ts";

const HOSTILE_NAME = `<script>alert("name")</script> & Sons`;
const HOSTILE_LINE = `=HYPERLINK("http://evil.example","<img src=x onerror=alert(1)>")`;

let alice: TestTenant;
let bob: TestTenant;
let invoiceId: string;

beforeAll(async () => {
  alice = await createTenant();
  bob = await createTenant({ invoices: 1 });
  await asOwner(async (client) => {
    await asCustomer(client, alice.customerId, () =>
      client.query("UPDATE customers SET name = $2 WHERE id = $1", [alice.customerId, HOSTILE_NAME]),
    );
    const lines = standardLines(200_000, 100, 1_000);
    lines[2] = { ...lines[2]!, description: HOSTILE_LINE };
    invoiceId = await createInvoice(client, alice.customerId, {
      number: `SB-DOC-${Date.now()}`,
      periodStart: "2025-10-01",
      periodEnd: "2025-11-01",
      status: "open",
      lines,
    });
  });
});

describe("GET /v1/invoices/{id}.html", () => {
  it("renders a print-ready page with the worked example's amounts (docs/billing.md)", async () => {
    const response = await call(`/v1/invoices/${invoiceId}.html`, { token: alice.key });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(response.headers.get("content-security-policy")).toContain("default-src 'none'");
    const html = await response.text();
    for (const text of [
      "$2,000.00",
      "$10.00",
      "$45.00",
      "Subtotal",
      "$2,055.00",
      "$164.40",
      "$2,219.40",
      "2025-10-01 to 2025-10-31",
    ]) {
      expect(html).toContain(text);
    }
  });

  it("escapes every stored string (customer name, line descriptions)", async () => {
    const html = await (await call(`/v1/invoices/${invoiceId}.html`, { token: alice.key })).text();
    expect(html).not.toContain("<script>");
    expect(html).not.toContain("<img");
    expect(html).toContain("&lt;script&gt;alert(&quot;name&quot;)&lt;/script&gt; &amp; Sons");
    expect(html).toContain("&lt;img src=x onerror=alert(1)&gt;");
  });

  it("is a 404 for another tenant's invoice, like a missing one; 400 for a malformed id; needs credentials", async () => {
    await expectSameAsMissing(
      await call(`/v1/invoices/${bob.invoiceIds[0]}.html`, { token: alice.key }),
      await call(`/v1/invoices/0192a000-0000-7000-8000-0000000fffff.html`, { token: alice.key }),
    );
    await expectProblem(await call(`/v1/invoices/not-an-id.html`, { token: alice.key }), {
      status: 400,
      type: "validation-error",
      field: "param.id",
    });
    await expectProblem(await call(`/v1/invoices/${invoiceId}.html`), { status: 401 });
    const limited = await createTenant({ scopes: ["usage:read"] });
    await expectProblem(await call(`/v1/invoices/${invoiceId}.html`, { token: limited.key }), {
      status: 403,
      type: "insufficient-permission",
    });
  });

  it("leaves the JSON invoice route as it was", async () => {
    const response = await call(`/v1/invoices/${invoiceId}`, { token: alice.key });
    expect(response.status).toBe(200);
    expect((await response.json<{ total_cents: number }>()).total_cents).toBe(221_940);
  });
});

describe("GET /v1/invoices.csv", () => {
  it("exports one line per line item of the caller's invoices only, formula cells neutralised", async () => {
    const response = await call("/v1/invoices.csv", { token: alice.key });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    const lines = (await response.text()).trimEnd().split("\r\n");
    expect(lines[0]).toMatch(/^"invoice_number","invoice_id",/);
    expect(lines).toHaveLength(1 + 4); // base, logs, NAT, tax
    expect(lines.every((l, i) => i === 0 || l.includes(invoiceId))).toBe(true);
    expect(lines.join("\n")).not.toContain(bob.invoiceIds[0]);
    expect(lines[3]).toContain(`"'=HYPERLINK(""http://evil.example"",""<img src=x onerror=alert(1)>"")"`);
    expect(lines[4]).toContain(`"221940"`);
  });

  it("needs invoices:read", async () => {
    await expectProblem(await call("/v1/invoices.csv"), { status: 401 });
    const limited = await createTenant({ scopes: ["usage:read"] });
    await expectProblem(await call("/v1/invoices.csv", { token: limited.key }), {
      status: 403,
      type: "insufficient-permission",
    });
  });
});

describe("document formatting", () => {
  it("formats cents, micros and CSV cells", () => {
    expect([formatCents(221_940), formatCents(0), formatCents(-7_500), formatCents(123_456_789)]).toEqual([
      "$2,219.40",
      "$0.00",
      "-$75.00",
      "$1,234,567.89",
    ]);
    expect([formatMicros(45_000), formatMicros(100_000), formatMicros(2_000_000_000)]).toEqual([
      "$0.045",
      "$0.10",
      "$2,000.00",
    ]);
    expect([
      csvCell("+1"),
      csvCell("-2"),
      csvCell("@x"),
      csvCell("\tx"),
      csvCell(-2, "number"),
      csvCell('a"b'),
    ]).toEqual([`"'+1"`, `"'-2"`, `"'@x"`, `"'\tx"`, `"-2"`, `"a""b"`]);
  });
});
