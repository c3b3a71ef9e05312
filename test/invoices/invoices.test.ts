import { beforeAll, describe, expect, it } from "vitest";
import { call, createTenant, type TestTenant } from "../helpers/tenants.ts";
import { expectSameAsMissing, type Page, type Schemas } from "../helpers/http.ts";

type InvoiceBody = Schemas["InvoiceWithLineItems"];

let alice: TestTenant;
let bob: TestTenant;
beforeAll(async () => {
  alice = await createTenant({ invoices: 5 });
  bob = await createTenant({ invoices: 2, tier: "fintech" });
});

describe("GET /v1/invoices", () => {
  it("lists only the caller's invoices, newest first", async () => {
    const response = await call("/v1/invoices", { token: alice.key });
    expect(response.status).toBe(200);
    const page = await response.json<Page<Schemas["Invoice"]>>();
    expect(page.data.map((i) => i.id)).toEqual([...alice.invoiceIds].reverse());
    expect(page).toMatchObject({ has_more: false, next_cursor: null });

    const bobs = await (await call("/v1/invoices", { token: bob.key })).json<Page<Schemas["Invoice"]>>();
    expect(bobs.data.map((i) => i.id)).toEqual([...bob.invoiceIds].reverse());
  });

  it("pages with limit and starting_after until has_more is false", async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor ? `?limit=2&starting_after=${cursor}` : "?limit=2";
      const page: Page<Schemas["Invoice"]> = await (await call(`/v1/invoices${query}`, { token: alice.key })).json<
        Page<Schemas["Invoice"]>
      >();
      expect(page.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.data.map((i) => i.id));
      cursor = page.next_cursor;
      expect(page.has_more).toBe(cursor !== null);
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual([...alice.invoiceIds].reverse());
  });

  it("does not reveal another tenant's invoices through a cursor", async () => {
    const page = await (
      await call(`/v1/invoices?starting_after=ffffffff-ffff-7fff-bfff-ffffffffffff`, { token: bob.key })
    ).json<Page<Schemas["Invoice"]>>();
    expect(page.data.map((i) => i.id).sort()).toEqual([...bob.invoiceIds].sort());
  });

  it.each([
    ["limit=0", "query.limit"],
    ["limit=101", "query.limit"],
    ["limit=ten", "query.limit"],
    ["starting_after=not-a-uuid", "query.starting_after"],
  ])("rejects %s with a 400 problem naming %s", async (query, field) => {
    const response = await call(`/v1/invoices?${query}`, { token: alice.key });
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    const body = await response.json<{ errors: { field: string; message: string }[] }>();
    expect(body.errors.map((e) => e.field)).toContain(field);
  });
});

describe("GET /v1/invoices/{id}", () => {
  it("returns the invoice with its line items, amounts in integer cents that add up", async () => {
    const response = await call(`/v1/invoices/${alice.invoiceIds[0]}`, { token: alice.key });
    expect(response.status).toBe(200);
    const invoice = await response.json<InvoiceBody>();
    expect(invoice).toMatchObject({ id: alice.invoiceIds[0], object: "invoice" });
    // standard tier, 100 GB logs, 1,000 GB NAT: the worked example of docs/billing.md.
    expect(invoice).toMatchObject({
      subtotal_cents: 205_500,
      discount_cents: 0,
      tax_cents: 16_440,
      total_cents: 221_940,
    });
    expect(invoice.line_items.map((l) => l.kind)).toEqual(["base", "usage", "usage", "tax"]);
    expect(invoice.line_items.reduce((sum, l) => sum + l.amount_cents, 0)).toBe(invoice.total_cents);
  });

  it("answers 404 for another tenant's invoice id, exactly as for an id that does not exist", async () => {
    const theirs = await call(`/v1/invoices/${bob.invoiceIds[0]}`, { token: alice.key });
    const nobodys = await call(`/v1/invoices/01900000-0000-7000-8000-000000000000`, { token: alice.key });
    await expectSameAsMissing(theirs, nobodys);
  });

  it("rejects a malformed id with a 400 problem naming param.id", async () => {
    const response = await call(`/v1/invoices/123`, { token: alice.key });
    expect(response.status).toBe(400);
    expect((await response.json<{ errors: { field: string }[] }>()).errors[0]!.field).toBe("param.id");
  });

  it("requires credentials", async () => {
    expect((await call(`/v1/invoices/${alice.invoiceIds[0]}`)).status).toBe(401);
  });
});
